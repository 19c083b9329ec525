// What a technician needs to know about one tenant before reading its pages: can docsync read
// it, what did its last sync leave unread, and what to do about it. Built from the tenant row
// (discovery writes relationship and access facts there) and the warning/error lines of the
// tenant's last finished sync, so the words and actions are the sync log's own.
import type { Kysely } from 'kysely';
import { lastFinishedRunOfTenants, problemLinesOfRuns } from '../stores/runs.ts';
import type { Database, Tenant } from '../db/schema.ts';
import { DAY_MS } from '../time.ts';

type Db = Kysely<Database>;

export interface TenantProblem {
  level: 'warning' | 'error';
  code: string;
  message: string;
  action: string | null;
}

export interface TenantStatus {
  health: string;
  active: boolean;
  /** Never synced (no finished tenant run and no last sync time). */
  neverSynced: boolean;
  lastRun: { id: string; status: string; finishedAt: string | null } | null;
  /** Most important first: why docsync cannot read the tenant, then what the last sync could not read. */
  problems: TenantProblem[];
}

/** Relationship states in which the customer has not approved yet (as discovery reads them). */
const PENDING = new Set(['created', 'approvalpending', 'approved', 'activating']);

/**
 * Why an inactive tenant cannot be read, from the facts discovery stored. The actions are the
 * ones discovery gives in its warnings (src/microsoft/discovery.ts), which nothing records yet.
 */
function inactiveProblem(t: Tenant): TenantProblem {
  const reason = t.inactive_reason ?? t.health_reason ?? 'docsync cannot reach this tenant';
  const status = (t.relationship_status ?? '').toLowerCase();
  if (t.access_kind === 'dap')
    return {
      level: 'error',
      code: 'gdap_missing',
      message: reason,
      action:
        'create a GDAP relationship with Directory Readers and Global Reader in Partner Center; the customer approves it, and the next ' +
        'discovery finds it',
    };
  if (PENDING.has(status))
    return {
      level: 'warning',
      code: 'relationship_pending',
      message: reason,
      action: 'ask the customer to approve the GDAP relationship request',
    };
  if (status)
    return {
      level: 'error',
      code: 'relationship_ended',
      message: reason,
      action: 'create a new GDAP relationship in Partner Center if you still manage this customer; its documentation is kept',
    };
  return {
    level: 'warning',
    code: 'tenant_unlisted',
    message: reason,
    action: "nothing to do if the customer left; its documentation is kept. Otherwise check the customer's relationship in Partner Center",
  };
}

/** Statuses of several tenants in three queries (the integration page lists up to 200). */
export async function tenantStatuses(db: Db, tenants: Tenant[], now: Date): Promise<Map<string, TenantStatus>> {
  const statuses = new Map<string, TenantStatus>();
  if (tenants.length === 0) return statuses;
  const ids = tenants.map((t) => t.id);
  const lastRuns = await lastFinishedRunOfTenants(db, ids);
  const lines = await problemLinesOfRuns(
    db,
    lastRuns.map((r) => r.id),
  );
  for (const t of tenants) {
    const run = lastRuns.find((r) => r.tenant_id === t.id) ?? null;
    const problems: TenantProblem[] = [];
    if (!t.active) problems.push(inactiveProblem(t));
    else {
      const seen = new Set<string>();
      for (const line of lines) {
        if (line.run_id !== run?.id || seen.has(line.code)) continue;
        seen.add(line.code);
        problems.push({ level: line.level === 'error' ? 'error' : 'warning', code: line.code, message: line.message, action: line.action });
      }
      if (t.relationship_end_at && !t.auto_extend) {
        const days = Math.ceil((new Date(t.relationship_end_at).getTime() - now.getTime()) / DAY_MS);
        if (days >= 0 && days <= 30)
          problems.push({
            level: 'warning',
            code: 'relationship_ending',
            message: `the GDAP relationship ends in ${days} day${days === 1 ? '' : 's'}`,
            action: 'extend the relationship or turn on auto-extend in Partner Center',
          });
      }
      // A failing tenant whose reason is in no log line (e.g. discovery's permission check).
      if (problems.length === 0 && (t.health === 'failing' || t.health === 'warning') && t.health_reason) {
        problems.push({
          level: t.health === 'failing' ? 'error' : 'warning',
          code: 'tenant_health',
          message: t.health_reason,
          action: null,
        });
      }
    }
    problems.sort((a, b) => (a.level === b.level ? 0 : a.level === 'error' ? -1 : 1));
    statuses.set(t.id, {
      health: t.health,
      active: t.active,
      neverSynced: !run && !t.last_sync_at,
      lastRun: run
        ? { id: run.id, status: run.status, finishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : null }
        : null,
      problems,
    });
  }
  return statuses;
}

export async function tenantStatus(db: Db, tenant: Tenant, now: Date): Promise<TenantStatus> {
  return (await tenantStatuses(db, [tenant], now)).get(tenant.id)!;
}

/** The problems that explain an empty or stale list of one kind ("devices", "licenses", "users", "mailboxes"). */
export function problemsAbout(status: TenantStatus, resource: string): TenantProblem[] {
  return status.problems.filter((p) => p.code.startsWith(`${resource}_`));
}
