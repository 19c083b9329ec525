// What needs a technician's attention across every customer: the home page and GET /api/attention.
// Each item says what is wrong, what to do, and links to the page where it is fixed. Built from
// what docsync already stores (tenant health and the last sync's log lines, decisions waiting for
// review, GDAP end dates, secret expiry dates, staged users and licenses): no Microsoft call.
import type { Kysely } from 'kysely';
import {
  currentSkusOfTenants,
  disabledLicensedUserCounts,
  integrationsForAttention,
  organizationDecisionsOfTenants,
  reviewCountsOfTenants,
  tenantsByDisplayName,
  tenantsWithFinishedRun,
} from '../stores/attention.ts';
import type { Clock } from '../time.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database, Tenant } from '../db/schema.ts';
import { licenseDisplayName } from '../licensing/skus.ts';
import { adminConsentUrl } from '../microsoft/errors.ts';
import { secretExpiryNotices } from '../microsoft/integrations.ts';
import { isFreeLicense } from '../licensing/skus.ts';
import { tenantStatuses, type TenantProblem } from './tenant-status.ts';

export const ATTENTION_SEVERITIES = ['error', 'warning', 'info'] as const;
export type AttentionSeverity = (typeof ATTENTION_SEVERITIES)[number];

export const ATTENTION_KINDS = [
  'integration_not_connected',
  'client_secret_expiring',
  'consent_missing',
  'tenant_failing',
  'tenant_warning',
  'tenant_unreachable',
  'relationship_ending',
  'organization_review',
  'contact_review',
  'disabled_licensed_users',
  'unused_paid_seats',
  'tenant_never_synced',
] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export interface AttentionItem {
  kind: AttentionKind;
  severity: AttentionSeverity;
  /** docsync's organization id (the tenant's matched organization). */
  organizationId?: string;
  /** docsync's tenant id (the id in /tenants/… URLs), not the Microsoft tenant GUID. */
  tenantId?: string;
  integrationId?: string;
  message: string;
  action: string;
  /** Where it is fixed: a docsync page, or Microsoft's admin consent link for missing consent. */
  url: string;
}

export interface AttentionCounts {
  error: number;
  warning: number;
  info: number;
  byKind: Partial<Record<AttentionKind, number>>;
}

export interface AttentionFilter {
  severity?: AttentionSeverity;
  integrationId?: string;
}

export interface AttentionDeps {
  db: Kysely<Database>;
  secrets: SecretBox;
  clock: Clock;
  /** config.microsoft.authorityHost: admin consent links are built on the configured cloud. */
  authorityHost: string;
}

const DAY_MS = 86_400_000;
const RELATIONSHIP_WARNING_DAYS = 30;
const SEVERITY_ORDER: Record<AttentionSeverity, number> = { error: 0, warning: 1, info: 2 };
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** Bidi embedding, override and isolate controls: shown as markers, so a name cannot reorder the message around it. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
/** A customer's name inside a message: hostile names stay short and cannot reorder the sentence. */
export function shortName(value: string, max = 80): string {
  const visible = value
    .replace(BIDI_CONTROLS, (ch) => `[U+${ch.codePointAt(0)!.toString(16).toUpperCase()}]`)
    .replace(/\s+/g, ' ')
    .trim();
  return visible.length > max ? `${visible.slice(0, max - 1)}…` : visible;
}
const sentence = (text: string) => {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

/**
 * Every item needing attention (optionally of one severity or integration), most severe first.
 * The counts cover every severity of the integration filter, so a page can show what each
 * severity filter would list.
 */
export async function attentionItems(
  deps: AttentionDeps,
  filter: AttentionFilter = {},
): Promise<{ items: AttentionItem[]; counts: AttentionCounts }> {
  const { db } = deps;
  const now = deps.clock.now();
  const items: AttentionItem[] = [];

  const integrations = await integrationsForAttention(db, filter.integrationId);
  const integrationById = new Map(integrations.map((i) => [i.id, i]));

  for (const i of integrations) {
    if (i.status !== 'needs_reconnect' && i.status !== 'not_connected') continue;
    const reconnect = i.status === 'needs_reconnect';
    items.push({
      kind: 'integration_not_connected',
      severity: reconnect ? 'error' : 'warning',
      integrationId: i.id,
      message: reconnect
        ? `The integration ${shortName(i.name)} lost its Microsoft connection${i.status_reason ? `: ${i.status_reason}` : ''}.`
        : `The integration ${shortName(i.name)} is not connected to Microsoft yet.`,
      action: 'An administrator opens the integration and signs in again with the service account (Connect).',
      url: `/integrations/${i.id}`,
    });
  }

  for (const notice of await secretExpiryNotices(deps)) {
    if (!integrationById.has(notice.integrationId)) continue;
    items.push({
      kind: 'client_secret_expiring',
      severity: notice.expired || notice.daysLeft <= 7 ? 'error' : 'warning',
      integrationId: notice.integrationId,
      message: notice.expired
        ? `The client secret of ${shortName(notice.integrationName)} expired on ${notice.expiresAt.slice(0, 10)}: its syncs fail.`
        : `The client secret of ${shortName(notice.integrationName)} expires on ${notice.expiresAt.slice(0, 10)} (in ` +
          `${plural(notice.daysLeft, 'day')}).`,
      action: 'Create a new client secret for the app in Entra ID and paste its value into the integration.',
      url: `/integrations/${notice.integrationId}#s-secret`,
    });
  }

  const tenants = await tenantsByDisplayName(db, filter.integrationId);
  const tenantIds = tenants.map((t) => t.id);
  const organizationDecisions = await organizationDecisionsOfTenants(db, tenantIds);
  const decisionOf = new Map(organizationDecisions.map((d) => [d.tenant_id, d]));
  // Ignored tenants are never documented: nothing about them needs attention.
  const watched = tenants.filter((t) => decisionOf.get(t.id)?.state !== 'ignored');
  const organizationOf = (t: Tenant) => {
    const d = decisionOf.get(t.id);
    return d?.state === 'matched' && d.target_id ? { organizationId: d.target_id } : {};
  };
  const about = (t: Tenant) => ({ tenantId: t.id, integrationId: t.integration_id, ...organizationOf(t) });

  // Tenants docsync cannot read, or whose last sync failed or left something unread.
  const troubled = watched.filter((t) => !t.active || t.health === 'failing' || t.health === 'warning');
  const statuses = await tenantStatuses(db, troubled, now);
  for (const t of troubled) {
    const problems = statuses.get(t.id)?.problems ?? [];
    const consent = problems.find((p) => p.code === 'consent_missing');
    if (consent) {
      const clientId = integrationById.get(t.integration_id)?.client_id;
      items.push({
        kind: 'consent_missing',
        severity: 'error',
        ...about(t),
        message: `${shortName(t.display_name)}: docsync's app is not consented in this tenant, so nothing in it is synced.`,
        action:
          'Open the admin consent link as an administrator of that tenant (or consent the app in Partner Center), then sync the tenant.',
        url: clientId ? adminConsentUrl(deps.authorityHost, t.microsoft_tenant_id, clientId) : `/tenants/${t.id}/contacts`,
      });
      continue;
    }
    const first: TenantProblem | undefined = problems.find((p) => p.code !== 'relationship_ending');
    if (!t.active) {
      items.push({
        kind: 'tenant_unreachable',
        severity: first?.code === 'relationship_pending' ? 'warning' : 'info',
        ...about(t),
        message: `${shortName(t.display_name)}: ${sentence(first?.message ?? t.inactive_reason ?? 'docsync cannot read this tenant')}`,
        action: sentence(first?.action ?? 'Check the customer relationship in Partner Center; the documentation synced before is kept'),
        url: `/tenants/${t.id}/contacts`,
      });
      continue;
    }
    const failing = t.health === 'failing';
    items.push({
      kind: failing ? 'tenant_failing' : 'tenant_warning',
      severity: failing ? 'error' : 'warning',
      ...about(t),
      message:
        `${shortName(t.display_name)}: ` +
        `${sentence(first?.message ?? t.health_reason ?? (failing ? 'the last sync failed' : 'the last sync could not read everything'))}`,
      action: sentence(first?.action ?? "Open the tenant's last sync log for the reason"),
      url: statuses.get(t.id)?.lastRun ? `/sync-runs/${statuses.get(t.id)!.lastRun!.id}` : `/tenants/${t.id}/contacts`,
    });
  }

  for (const t of watched) {
    if (!t.active || !t.relationship_end_at || t.auto_extend) continue;
    const ends = new Date(t.relationship_end_at);
    const days = Math.ceil((ends.getTime() - now.getTime()) / DAY_MS);
    if (days < 0 || days > RELATIONSHIP_WARNING_DAYS) continue;
    items.push({
      kind: 'relationship_ending',
      severity: days <= 7 ? 'error' : 'warning',
      ...about(t),
      message:
        `${shortName(t.display_name)}: the GDAP relationship ends on ${ends.toISOString().slice(0, 10)} (in ` +
        `${plural(days, 'day')}); docsync can read nothing after that.`,
      action: 'Extend the relationship or turn on auto-extend in Partner Center (the customer approves a new one otherwise).',
      url: `/tenants/${t.id}/contacts`,
    });
  }

  // Tenants waiting for an organization, one item per integration (a first discovery finds hundreds).
  const waiting = new Map<string, { suggested: number; unmatched: number }>();
  for (const t of watched) {
    const state = decisionOf.get(t.id)?.state ?? 'unmatched';
    if (state !== 'suggested' && state !== 'unmatched') continue;
    const entry = waiting.get(t.integration_id) ?? { suggested: 0, unmatched: 0 };
    entry[state]++;
    waiting.set(t.integration_id, entry);
  }
  for (const [integrationId, n] of waiting) {
    const total = n.suggested + n.unmatched;
    const params = new URLSearchParams({ integrationId, ...(n.suggested > 0 ? { state: 'suggested' } : { state: 'unmatched' }) });
    items.push({
      kind: 'organization_review',
      severity: 'warning',
      integrationId,
      message:
        `${plural(total, 'tenant')} of ${shortName(integrationById.get(integrationId)?.name ?? 'an integration')} ` +
        `${total === 1 ? 'waits' : 'wait'} for an organization${n.suggested ? ` (${n.suggested} with a suggestion)` : ''}: their users ` +
        `and devices are not documented until then.`,
      action: 'Accept the suggestion, choose an organization or create one from the tenant.',
      url: `/tenants?${params.toString()}`,
    });
  }

  const watchedIds = watched.map((t) => t.id);
  const tenantById = new Map(watched.map((t) => [t.id, t]));
  if (watchedIds.length > 0) {
    const reviews = await reviewCountsOfTenants(db, watchedIds);
    const reviewCounts = new Map<string, { contact: number; configuration: number }>();
    for (const r of reviews) {
      const entry = reviewCounts.get(r.tenant_id) ?? { contact: 0, configuration: 0 };
      entry[r.kind as 'contact' | 'configuration'] += r.n;
      reviewCounts.set(r.tenant_id, entry);
    }
    for (const [tenantId, n] of reviewCounts) {
      const t = tenantById.get(tenantId)!;
      const parts = [n.contact ? plural(n.contact, 'user') : null, n.configuration ? plural(n.configuration, 'device') : null]
        .filter(Boolean)
        .join(' and ');
      items.push({
        kind: 'contact_review',
        severity: 'warning',
        ...about(t),
        message: `${shortName(t.display_name)}: ${parts} could match more than one record and wait for a technician's review.`,
        action: 'Choose the right contact (or configuration) for each, or ask for a new one.',
        url: n.contact ? `/tenants/${t.id}/contacts?decision=review` : `/tenants/${t.id}/configurations`,
      });
    }

    const disabledLicensed = await disabledLicensedUserCounts(db, watchedIds);
    for (const row of disabledLicensed) {
      const t = tenantById.get(row.tenant_id)!;
      const n = row.n;
      items.push({
        kind: 'disabled_licensed_users',
        severity: 'warning',
        ...about(t),
        message:
          `${shortName(t.display_name)}: ${plural(n, 'disabled account')} still ${n === 1 ? 'holds' : 'hold'} licenses that are ` +
          `paid for.`,
        action: 'Remove or reassign their licenses in the Microsoft 365 admin center.',
        url: `/tenants/${t.id}/licenses#disabled-licensed`,
      });
    }

    const skus = await currentSkusOfTenants(db, watchedIds);
    const unused = new Map<string, Array<{ name: string; available: number }>>();
    for (const s of skus) {
      const data = (s.data ?? {}) as Record<string, unknown>;
      if (data.capabilityStatus !== undefined && data.capabilityStatus !== 'Enabled') continue;
      const prepaid = (data.prepaidUnits ?? {}) as Record<string, unknown>;
      const available = Number(prepaid.enabled ?? 0) - Number(data.consumedUnits ?? 0);
      const partNumber = typeof data.skuPartNumber === 'string' ? data.skuPartNumber : null;
      const licenseName = licenseDisplayName(s.sku_id, partNumber);
      if (!(available > 0) || isFreeLicense(licenseName, partNumber)) continue;
      unused.set(s.tenant_id, [...(unused.get(s.tenant_id) ?? []), { name: licenseName, available }]);
    }
    for (const [tenantId, list] of unused) {
      const t = tenantById.get(tenantId)!;
      const total = list.reduce((sum, l) => sum + l.available, 0);
      list.sort((a, b) => b.available - a.available || a.name.localeCompare(b.name));
      items.push({
        kind: 'unused_paid_seats',
        severity: 'info',
        ...about(t),
        message:
          `${shortName(t.display_name)}: ${plural(total, 'paid license')} unused ` +
          `(${list.map((l) => `${l.name}: ${l.available}`).join(', ')}).`,
        action: 'Assign them or reduce the subscription at its next renewal.',
        url: `/tenants/${t.id}/licenses`,
      });
    }
  }

  const lastRuns = await tenantsWithFinishedRun(db, watchedIds);
  for (const t of watched) {
    if (!t.active || t.last_sync_at || lastRuns.has(t.id) || t.health === 'failing') continue;
    items.push({
      kind: 'tenant_never_synced',
      severity: 'info',
      ...about(t),
      message: `${shortName(t.display_name)} has not been synced yet: none of its users, devices or licenses are documented.`,
      action:
        decisionOf.get(t.id)?.state === 'matched'
          ? 'Sync it now from its page, or wait for the scheduled sync.'
          : 'Match it to an organization, then sync it.',
      url: `/tenants/${t.id}/contacts`,
    });
  }

  const counts: AttentionCounts = { error: 0, warning: 0, info: 0, byKind: {} };
  for (const item of items) {
    counts[item.severity]++;
    counts.byKind[item.kind] = (counts.byKind[item.kind] ?? 0) + 1;
  }
  const kindOrder = new Map(ATTENTION_KINDS.map((k, i) => [k, i]));
  const shown = (filter.severity ? items.filter((i) => i.severity === filter.severity) : items).sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      kindOrder.get(a.kind)! - kindOrder.get(b.kind)! ||
      a.message.localeCompare(b.message),
  );
  return { items: shown, counts };
}
