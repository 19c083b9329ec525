// Graph's throttling, with Microsoft's documented numbers (https://learn.microsoft.com/en-us/graph/throttling-limits;
// the table in docs of this repository's reference pack, ENDPOINTS.md §2). Off unless the emulator runs
// with `--throttle`. Each limit is a token bucket (full at start, refilled continuously at
// limit ÷ window), per tenant × app or per app, per service family:
//   - any request, per app across all tenants: 2,000 / s;
//   - identity (users, groups, organization, domains, subscribedSkus, contracts…): resource
//     units per app × tenant, 3,500 / 5,000 / 8,000 RU per 10 s for tenants of < 50, ≤ 500 and
//     more users, and 150,000 RU / 20 s per app; writes 3,000 / 150 s per app × tenant;
//   - Intune devices: 2,000 / 20 s per app × tenant, 4,000 / 20 s per tenant; writes 200 / 20 s;
//   - usage reports: 14 / 10 min per app × tenant and 40 / 10 min per tenant, per report API;
//   - multi-tenant management (tenantRelationships): 1,000 / 20 s per app × tenant,
//     2,000 / 20 s per tenant.
// A request over any of them gets 429 TooManyRequests with Retry-After (fractional seconds:
// when the bucket holds enough again) and the documented body (examples/error-throttled-429.http);
// identity adds x-ms-throttle-scope and x-ms-throttle-information. $batch items count one by one.
// A refused request takes nothing from any bucket.

export interface Limit {
  requests: number;
  windowMs: number;
}

export interface ThrottleLimits {
  appAnyRequest: Limit;
  identityAppTenantSmall: Limit;
  identityAppTenantMedium: Limit;
  identityAppTenantLarge: Limit;
  identityApp: Limit;
  identityWritesAppTenant: Limit;
  intuneAppTenant: Limit;
  intuneTenant: Limit;
  intuneWritesAppTenant: Limit;
  reportsAppTenant: Limit;
  reportsTenant: Limit;
  partnerAppTenant: Limit;
  partnerTenant: Limit;
}

export const MICROSOFT_THROTTLE_LIMITS: ThrottleLimits = {
  appAnyRequest: { requests: 2_000, windowMs: 1_000 },
  identityAppTenantSmall: { requests: 3_500, windowMs: 10_000 },
  identityAppTenantMedium: { requests: 5_000, windowMs: 10_000 },
  identityAppTenantLarge: { requests: 8_000, windowMs: 10_000 },
  identityApp: { requests: 150_000, windowMs: 20_000 },
  identityWritesAppTenant: { requests: 3_000, windowMs: 150_000 },
  intuneAppTenant: { requests: 2_000, windowMs: 20_000 },
  intuneTenant: { requests: 4_000, windowMs: 20_000 },
  intuneWritesAppTenant: { requests: 200, windowMs: 20_000 },
  reportsAppTenant: { requests: 14, windowMs: 600_000 },
  reportsTenant: { requests: 40, windowMs: 600_000 },
  partnerAppTenant: { requests: 1_000, windowMs: 20_000 },
  partnerTenant: { requests: 2_000, windowMs: 20_000 },
};

export type ThrottleScope = 'Tenant_Application' | 'Tenant' | 'Application';

export interface ThrottleCall {
  method: string;
  /** after the version, no leading slash: "users", "reports/getMailboxUsageDetail(period='D7')" */
  path: string;
  query: URLSearchParams;
  tenantId: string;
  appId: string;
}

export type ThrottleVerdict =
  | { ok: true; resourceUnits?: number }
  | { ok: false; retryAfterSeconds: number; scope: ThrottleScope; limitName: keyof ThrottleLimits; family: string };

export interface ThrottleCounters {
  admitted: number;
  throttled: number;
  /** 429s per limit that refused (e.g. appAnyRequest, reportsAppTenant). */
  throttledBy: Partial<Record<keyof ThrottleLimits, number>>;
  /** Requests admitted per app id (each $batch item counts). */
  admittedByApp: Record<string, number>;
}

export interface GraphThrottle {
  admit(call: ThrottleCall): ThrottleVerdict;
  counters(): ThrottleCounters;
  /** Empties the counters and refills every bucket. */
  reset(): void;
}

interface Bucket {
  tokens: number;
  last: number;
}

/** Resource units of an identity GET (ENDPOINTS.md §2: base cost, $select −1, $expand +1, $top < 20 −1, at least 1). */
export function identityCost(path: string, query: URLSearchParams): number {
  const p = path.toLowerCase();
  let cost = 1;
  if (/^users(\/delta)?$/.test(p)) cost = 2;
  else if (/^groups\/[^/]+\/members/.test(p)) cost = 3;
  else if (/^groups\/[^/]+\/transitivemembers/.test(p)) cost = 5;
  else if (/^(subscribedskus|contracts)$/.test(p)) cost = 3;
  else if (/^(me|users\/[^/]+)\/(memberof|licensedetails)$/.test(p)) cost = 2;
  if (query.has('$select')) cost -= 1;
  if (query.has('$expand')) cost += 1;
  const top = Number(query.get('$top'));
  if (query.has('$top') && Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}

function familyOf(path: string): 'identity' | 'intune' | 'reports' | 'partner' {
  const p = path.toLowerCase();
  if (p.startsWith('devicemanagement/')) return 'intune';
  if (p.startsWith('reports/')) return 'reports';
  if (p.startsWith('tenantrelationships/')) return 'partner';
  return 'identity';
}

export function createGraphThrottle(options: {
  now: () => number;
  /** Users in a tenant (identity limits grow with it). */
  tenantUsers: (tenantId: string) => number;
  limits?: Partial<ThrottleLimits>;
}): GraphThrottle {
  const limits: ThrottleLimits = { ...MICROSOFT_THROTTLE_LIMITS, ...options.limits };
  const buckets = new Map<string, Bucket>();
  let counters: ThrottleCounters = { admitted: 0, throttled: 0, throttledBy: {}, admittedByApp: {} };

  /** Tokens in the bucket now (refilled since it was last looked at). */
  const level = (key: string, limit: Limit, now: number): Bucket => {
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.requests, last: now };
      buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(limit.requests, bucket.tokens + ((now - bucket.last) * limit.requests) / limit.windowMs);
    bucket.last = now;
    return bucket;
  };

  return {
    admit(call) {
      const now = options.now();
      const family = familyOf(call.path);
      const write = call.method !== 'GET';
      const tenantApp = `${call.tenantId}|${call.appId}`;
      const applicable: Array<{ name: keyof ThrottleLimits; key: string; cost: number; scope: ThrottleScope }> = [
        { name: 'appAnyRequest', key: `app|${call.appId}`, cost: 1, scope: 'Application' },
      ];
      let resourceUnits: number | undefined;
      if (family === 'identity') {
        resourceUnits = write ? 1 : identityCost(call.path, call.query);
        const users = options.tenantUsers(call.tenantId);
        const size = users < 50 ? 'identityAppTenantSmall' : users <= 500 ? 'identityAppTenantMedium' : 'identityAppTenantLarge';
        applicable.push(
          { name: size, key: `id|${tenantApp}`, cost: resourceUnits, scope: 'Tenant_Application' },
          { name: 'identityApp', key: `id-app|${call.appId}`, cost: resourceUnits, scope: 'Application' },
        );
        if (write) applicable.push({ name: 'identityWritesAppTenant', key: `id-w|${tenantApp}`, cost: 1, scope: 'Tenant_Application' });
      } else if (family === 'intune') {
        applicable.push(
          { name: 'intuneAppTenant', key: `intune|${tenantApp}`, cost: 1, scope: 'Tenant_Application' },
          { name: 'intuneTenant', key: `intune-t|${call.tenantId}`, cost: 1, scope: 'Tenant' },
        );
        if (write) applicable.push({ name: 'intuneWritesAppTenant', key: `intune-w|${tenantApp}`, cost: 1, scope: 'Tenant_Application' });
      } else if (family === 'reports') {
        // Counted per report API: getMailboxUsageDetail and getOffice365ActiveUserDetail apart.
        const report = /^reports\/([A-Za-z0-9]+)/.exec(call.path)?.[1]?.toLowerCase() ?? '';
        applicable.push(
          { name: 'reportsAppTenant', key: `rep|${tenantApp}|${report}`, cost: 1, scope: 'Tenant_Application' },
          { name: 'reportsTenant', key: `rep-t|${call.tenantId}|${report}`, cost: 1, scope: 'Tenant' },
        );
      } else {
        applicable.push(
          { name: 'partnerAppTenant', key: `mtm|${tenantApp}`, cost: 1, scope: 'Tenant_Application' },
          { name: 'partnerTenant', key: `mtm-t|${call.tenantId}`, cost: 1, scope: 'Tenant' },
        );
      }
      let refusal: Extract<ThrottleVerdict, { ok: false }> | undefined;
      for (const item of applicable) {
        const limit = limits[item.name];
        const bucket = level(item.key, limit, now);
        if (bucket.tokens >= item.cost) continue;
        const waitMs = ((item.cost - bucket.tokens) * limit.windowMs) / limit.requests;
        const retryAfterSeconds = Math.max(0.001, Math.ceil(waitMs) / 1000);
        if (!refusal || retryAfterSeconds > refusal.retryAfterSeconds)
          refusal = { ok: false, retryAfterSeconds, scope: item.scope, limitName: item.name, family };
      }
      if (refusal) {
        counters.throttled++;
        counters.throttledBy[refusal.limitName] = (counters.throttledBy[refusal.limitName] ?? 0) + 1;
        return refusal;
      }
      for (const item of applicable) buckets.get(item.key)!.tokens -= item.cost;
      counters.admitted++;
      counters.admittedByApp[call.appId] = (counters.admittedByApp[call.appId] ?? 0) + 1;
      return resourceUnits === undefined ? { ok: true } : { ok: true, resourceUnits };
    },
    counters: () => structuredClone(counters),
    reset() {
      buckets.clear();
      counters = { admitted: 0, throttled: 0, throttledBy: {}, admittedByApp: {} };
    },
  };
}
