// Where each tenant of an integration run stands, for the live run page and GET /api/sync-runs/:id:
// running now (with its phase and how long it has been at it), done (with its outcome) and
// waiting for a worker. The per-tenant runs are the rows src/sync/queue.ts creates when the
// integration run starts, so this reads them as they are; nothing here touches the database.
import type { RunView } from '../stores/runs.ts';

export interface RunningTenant {
  runId: string;
  tenantId: string | null;
  tenantName: string | null;
  /** What the tenant's run is doing now ("users", "mailboxes", "writing"…), when the worker said. */
  phase: string | null;
  startedAt: string | null;
  /** Seconds since it started, by docsync's clock (0 when the start is not recorded yet). */
  elapsedSeconds: number;
}

export interface RunTenantStates {
  running: RunningTenant[];
  done: RunView[];
  waiting: RunView[];
  counts: { running: number; done: number; waiting: number };
}

export function runTenantStates(tenants: RunView[], now: Date): RunTenantStates {
  const running: RunningTenant[] = [];
  const done: RunView[] = [];
  const waiting: RunView[] = [];
  for (const t of tenants) {
    if (t.status === 'queued') waiting.push(t);
    else if (t.status === 'running')
      running.push({
        runId: t.id,
        tenantId: t.tenantId,
        tenantName: t.tenantName,
        phase: t.phase,
        startedAt: t.startedAt,
        elapsedSeconds: t.startedAt ? Math.max(0, Math.floor((now.getTime() - new Date(t.startedAt).getTime()) / 1000)) : 0,
      });
    else done.push(t);
  }
  // The longest-running first: the one a technician wonders about.
  running.sort((a, b) => b.elapsedSeconds - a.elapsedSeconds || (a.tenantName ?? '').localeCompare(b.tenantName ?? ''));
  return { running, done, waiting, counts: { running: running.length, done: done.length, waiting: waiting.length } };
}

/** "42 s", "3 min 05 s", "1 h 02 min": how long a tenant has been running. */
export function elapsedWords(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
