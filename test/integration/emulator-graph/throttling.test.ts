// Graph's throttling in the emulator (--throttle): Microsoft's documented per-tenant × app limits
// (ENDPOINTS.md §2), answered with 429, Retry-After and the documented body
// (examples/error-throttled-429.json); refused calls spend nothing; $batch items count one by one.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';
import { shapeDifferences } from './shape.ts';

/** Microsoft's sample 429 body, verbatim (reference pack: examples/error-throttled-429.json). */
const DOCUMENTED_429 = {
  error: {
    code: 'TooManyRequests',
    innerError: {
      code: '429',
      date: '2020-08-18T12:51:51',
      message: 'Please retry after',
      'request-id': '94fb3b52-452a-4535-a601-69e0a90e3aa2',
      status: '429',
    },
    message: 'Please retry again later.',
  },
};

const REPORT = "/v1.0/reports/getMailboxUsageDetail(period='D7')";

describe('emulated Graph throttling', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it("answers 429 with Retry-After and Microsoft's body once a tenant's report budget (14 per 10 minutes) is spent", async () => {
    h = await startHarness({ customers: 2, usersPerTenant: 10, servers: { throttle: true } });
    const [first, second] = h.world.customers().map((c) => c.tenantId);
    const token = h.appToken(first!);
    for (let i = 0; i < 14; i++) expect((await h.get(REPORT, token)).status).toBe(302);

    const refused = await h.get(REPORT, token);
    expect(refused.status).toBe(429);
    // One report call comes back every 600 s / 14 = 42.857… s.
    expect(Number(refused.headers.get('retry-after'))).toBeCloseTo(42.858, 2);
    expect(refused.json.error.code).toBe('TooManyRequests');
    expect(refused.json.error.message).toBe('Please retry again later.');
    expect(shapeDifferences(DOCUMENTED_429, refused.json)).toEqual([]);
    expect(refused.json.error.innerError['request-id']).toBe(refused.headers.get('request-id'));

    // Other tenants and other report APIs have budgets of their own.
    expect((await h.get(REPORT, h.appToken(second!))).status).toBe(302);
    expect((await h.get("/v1.0/reports/getOffice365ActiveUserDetail(period='D7')", token)).status).toBe(302);
    // Waiting what Retry-After said is enough, and the refusals did not use up budget.
    h.clock.advance(Math.ceil(Number(refused.headers.get('retry-after')) * 1000));
    expect((await h.get(REPORT, token)).status).toBe(302);
    expect(h.emulator.throttle!.counters()).toMatchObject({ throttled: 1, throttledBy: { reportsAppTenant: 1 } });
  });

  it('charges identity reads in resource units and names the scope of a refusal', async () => {
    h = await startHarness({
      customers: 1,
      usersPerTenant: 10,
      servers: { throttle: { limits: { identityAppTenantSmall: { requests: 5, windowMs: 10_000 } } } },
    });
    const tenant = h.world.customers()[0]!.tenantId;
    const token = h.appToken(tenant);
    // users costs 2 RU, 1 with $select: 2 + 1 + 2 = 5 RU, then nothing is left.
    expect((await h.get('/v1.0/users', token)).headers.get('x-ms-resource-unit')).toBe('2');
    expect((await h.get('/v1.0/users?$select=id', token)).headers.get('x-ms-resource-unit')).toBe('1');
    expect((await h.get('/v1.0/users', token)).status).toBe(200);
    const refused = await h.get('/v1.0/organization', token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeCloseTo(2, 3);
    expect(refused.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/Read/${h.world.partner.app.clientId}/${tenant}`);
    expect(refused.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
  });

  it('counts every $batch item against the limits on its own', async () => {
    h = await startHarness({
      customers: 1,
      usersPerTenant: 10,
      servers: { throttle: { limits: { appAnyRequest: { requests: 5, windowMs: 1_000 } } } },
    });
    const token = h.appToken(h.world.customers()[0]!.tenantId);
    const response = await fetch(`${h.graph}/v1.0/$batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ requests: Array.from({ length: 8 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: '/organization' })) }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { responses: Array<{ status: number; headers: Record<string, string> }> };
    expect(body.responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(Number(body.responses[5]!.headers['Retry-After'])).toBeCloseTo(0.2, 3);
    expect(h.emulator.throttle!.counters()).toMatchObject({ admitted: 5, throttled: 3, throttledBy: { appAnyRequest: 3 } });
    // Scripts (the sync bench) read the same counters over HTTP, and can start them over.
    const counters = await (await fetch(`${h.graph}/_emulator/throttle`)).json();
    expect(counters).toMatchObject({ admitted: 5, throttled: 3, admittedByApp: { [h.world.partner.app.clientId]: 5 } });
    expect((await fetch(`${h.graph}/_emulator/throttle`, { method: 'DELETE' })).status).toBe(204);
    expect(h.emulator.throttle!.counters()).toMatchObject({ admitted: 0, throttled: 0 });
  });

  it('throttles nothing unless it is turned on', async () => {
    h = await startHarness({ customers: 1, usersPerTenant: 10 });
    const token = h.appToken(h.world.customers()[0]!.tenantId);
    for (let i = 0; i < 20; i++) expect((await h.get(REPORT, token)).status).toBe(302);
    expect(h.emulator.throttle).toBeUndefined();
  });
});
