// Why a tenant run stopped, and what follows: one pure table from the error to the run's status,
// the tenant's health, the sync log line (with the action a technician can take) and whether the
// run is tried again. The runner (runner.ts) carries it out; test/unit/sync/failure-table.test.ts
// reads it as a table.
//
// Tenant health follows one rule: a run that ends "failed" for a reason of this tenant (Microsoft
// refused it, it ran out of time, the database stayed away, a bug inside docsync) marks the tenant
// "failing" with that reason. Partner-scope failures mark the integration instead: the tenant
// itself is not at fault. A run cancelled by a person leaves the tenant's health alone.
import type { LogLevel } from '../db/schema.ts';
import { isMicrosoftError, MicrosoftError } from '../microsoft/errors.ts';

/** Microsoft errors that may pass by themselves: the run is queued again with backoff. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'throttled_out',
  'graph_unavailable',
  'graph_request_failed',
  'token_request_failed',
  'identity_unavailable',
]);

export class TimeBudgetExceeded extends Error {
  constructor(readonly seconds: number) {
    super(`time budget of ${seconds} s exceeded`);
    this.name = 'TimeBudgetExceeded';
  }
}

/** A person stopped the run (Ctrl-C on `docsync sync`); message and action go into the sync log. */
export class RunCancelled extends Error {
  constructor(
    reason = 'stopped',
    readonly action: string | null = null,
  ) {
    super(reason);
    this.name = 'RunCancelled';
  }
}

/** The run's lease was renewed by nobody in time and another worker may own the run now. */
export class LeaseLost extends Error {
  constructor() {
    super('lease lost');
    this.name = 'LeaseLost';
  }
}

export interface FailureInput {
  /** What the sync threw. */
  error: unknown;
  /** The run's stop reason when its signal was aborted (time budget, lease lost, cancel). */
  stopReason?: unknown;
  /** The integration as stored now, read after a tenant-scope Microsoft error (the token broker may have marked it). */
  integration?: { status: string; status_reason: string | null };
  /** Attempts made so far (this one included) and the most the queue allows. */
  attempts: number;
  maxAttempts: number;
  tenantName: string;
  runId: string;
  /** The tenant's relationship ended (tenants.inactive_reason): a "sync now" it fails keeps that reason. */
  endedReason?: string | null;
}

export interface FailureLogLine {
  level: LogLevel;
  code: string;
  message: string;
  action: string | null;
}

export type FailureOutcome =
  /** Another worker owns the run now: touch nothing. */
  | { run: 'lost' }
  /** The database went away: wait for it, then queue the run again (runner.ts). */
  | { run: 'database_unavailable' }
  | { run: 'cancelled'; errorCode: 'cancelled'; summary: string; log: FailureLogLine }
  /** Queued again with backoff; the log line's message gets "trying again at …" added. */
  | { run: 'retrying'; log: FailureLogLine }
  | {
      run: 'failed';
      errorCode: string;
      summary: string;
      log: FailureLogLine;
      /** The tenant's health becomes "failing" with this reason; null: the tenant is not at fault. */
      tenantFailing: string | null;
      /** The partner connection broke: the integration's other queued tenants stop, it needs a reconnect. */
      partner: MicrosoftError | null;
      /** A failure inside docsync: the details belong in the server log, found by the run id. */
      internal: boolean;
    };

// Connection-level failures (not SQL errors): refused/reset sockets, a server shutting down
// (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now) and SQLSTATE class 08
// (connection exception). https://www.postgresql.org/docs/current/errcodes-appendix.html
const DATABASE_GONE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03']);

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (DATABASE_GONE_CODES.has(code) || code.startsWith('08')) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    /Connection terminated|Client has encountered a connection error|connection timeout|timeout exceeded when trying to connect/i.test(
      message,
    )
  )
    return true;
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  return Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner));
}

const RECONNECT = 'open Integrations and reconnect the partner account';
const INACTIVE_TENANT_ACTION =
  'create a new GDAP relationship in Partner Center if you still manage this customer; its documentation is kept';
const STAGED_KEPT = 'what was staged is kept and the next run continues';

/**
 * The error a stopped run is judged by: stopped (budget, lease, cancel), whatever a Microsoft call
 * said as it was cut off is the stop's doing, not the tenant's — only a broken partner connection
 * is news worth keeping.
 */
export function effectiveError(input: Pick<FailureInput, 'error' | 'stopReason'>): unknown {
  const partner = isMicrosoftError(input.error) && input.error.scope === 'partner';
  return input.stopReason !== undefined && !partner ? input.stopReason : input.error;
}

export function classifyFailure(input: FailureInput): FailureOutcome {
  const error = effectiveError(input);
  const name = input.tenantName;
  if (error instanceof LeaseLost) return { run: 'lost' };
  if (error instanceof RunCancelled) {
    return {
      run: 'cancelled',
      errorCode: 'cancelled',
      summary: error.message,
      log: {
        level: 'warning',
        code: 'cancelled',
        message: `${name}: ${error.message} before the sync finished; what was read so far is kept and the next sync continues`,
        action: error.action,
      },
    };
  }
  // Postgres restarted or failed over mid-sync: the open transaction rolled back, so nothing
  // half-written stays.
  if (isDatabaseUnavailable(input.error)) return { run: 'database_unavailable' };
  if (isMicrosoftError(error)) return classifyMicrosoftError(error, input);
  if (error instanceof TimeBudgetExceeded) {
    return {
      run: 'failed',
      errorCode: 'time_budget_exceeded',
      summary: 'time budget exceeded',
      tenantFailing: `the last sync took longer than ${error.seconds} s and was stopped; ${STAGED_KEPT}`,
      log: {
        level: 'error',
        code: 'time_budget_exceeded',
        message: `${name} took longer than ${error.seconds} s and was stopped; ${STAGED_KEPT}`,
        action: 'if this repeats, raise sync.tenantTimeBudgetSeconds',
      },
      partner: null,
      internal: false,
    };
  }
  // A bug or a constraint violation: the details (stack, SQL) belong in the server log, found by
  // the run id; the technician sees that the failure is ours, not the tenant's.
  return {
    run: 'failed',
    errorCode: 'internal_error',
    summary: 'internal error',
    tenantFailing: `the last sync failed inside docsync; the error is in the server log with run id ${input.runId}`,
    log: {
      level: 'error',
      code: 'internal_error',
      message: `${name} could not be synced because of an error inside docsync; nothing was deleted`,
      action: `find run id ${input.runId} in the worker log for the error, then press "sync now"`,
    },
    partner: null,
    internal: true,
  };
}

function classifyMicrosoftError(error: MicrosoftError, input: FailureInput): FailureOutcome {
  // A token failure can surface through the Graph client as a generic one; the broker has then
  // already marked the integration: treat it as the partner failure it is.
  const current = error.scope === 'partner' ? undefined : input.integration;
  const partnerBroken = error.scope === 'partner' || (current !== undefined && current.status !== 'connected');
  if (partnerBroken) {
    const partner =
      error.scope !== 'partner' && current?.status_reason
        ? new MicrosoftError('partner_connection_expired', 'partner', current.status_reason, RECONNECT)
        : error;
    return {
      run: 'failed',
      errorCode: partner.code,
      summary: partner.message,
      tenantFailing: null,
      log: { level: 'error', code: partner.code, message: partner.message, action: partner.action ?? null },
      partner,
      internal: false,
    };
  }
  if (TRANSIENT_CODES.has(error.code) && input.attempts < input.maxAttempts) {
    return {
      run: 'retrying',
      log: { level: 'warning', code: 'retrying', message: `${input.tenantName}: ${error.message}`, action: null },
    };
  }
  // A technician's "sync now" of a tenant whose relationship ended: Microsoft's refusal is the
  // consequence, the ended relationship is the reason — keep it in the status and say it first.
  const ended = input.endedReason ?? null;
  return {
    run: 'failed',
    errorCode: error.code,
    summary: ended ?? error.message,
    tenantFailing: ended ?? error.message,
    log: {
      level: 'error',
      code: error.code,
      message: ended
        ? `${input.tenantName}: ${ended}; Microsoft refused the sync (${error.message})`
        : `${input.tenantName}: ${error.message}`,
      action: ended ? INACTIVE_TENANT_ACTION : (error.action ?? null),
    },
    partner: null,
    internal: false,
  };
}
