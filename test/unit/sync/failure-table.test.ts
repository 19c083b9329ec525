import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  LeaseLost,
  RunCancelled,
  TimeBudgetExceeded,
  type FailureInput,
  type FailureOutcome,
} from '../../../src/sync/failure-table.ts';
import { MicrosoftError } from '../../../src/microsoft/errors.ts';

const base: Omit<FailureInput, 'error'> = { attempts: 1, maxAttempts: 3, tenantName: 'Contoso', runId: 'run-1' };
const connected = { status: 'connected', status_reason: null };
const consent = new MicrosoftError('consent_missing', 'tenant', 'docsync is not consented in Contoso', 're-run admin consent');
const throttled = new MicrosoftError('throttled_out', 'tenant', 'Graph kept answering 429', 'nothing to do');
const revoked = new MicrosoftError('partner_connection_expired', 'partner', 'the partner sign-in was revoked', 'reconnect');
const postgresGone = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

type Row = [
  situation: string,
  input: Partial<FailureInput> & { error: unknown },
  expected: {
    run: FailureOutcome['run'];
    errorCode?: string;
    tenantFailing?: string | null | RegExp;
    logCode?: string;
    action?: string | null | RegExp;
    partner?: string | null;
  },
];

const table: Row[] = [
  ['the lease was lost', { error: new Error('aborted'), stopReason: new LeaseLost() }, { run: 'lost' }],
  [
    'a person cancelled the run: health untouched',
    { error: new Error('aborted'), stopReason: new RunCancelled('stopped with Ctrl-C', 'run docsync sync again') },
    { run: 'cancelled', errorCode: 'cancelled', logCode: 'cancelled', action: 'run docsync sync again' },
  ],
  ['the database went away', { error: postgresGone }, { run: 'database_unavailable' }],
  [
    'a refused dual-stack connect (AggregateError of ECONNREFUSED)',
    { error: Object.assign(new Error('connect failed'), { errors: [{ code: 'ECONNREFUSED' }] }) },
    { run: 'database_unavailable' },
  ],
  [
    'Microsoft refused this tenant: the tenant fails with the reason and the action',
    { error: consent, integration: connected },
    {
      run: 'failed',
      errorCode: 'consent_missing',
      tenantFailing: 'docsync is not consented in Contoso',
      logCode: 'consent_missing',
      action: 're-run admin consent',
      partner: null,
    },
  ],
  ['throttled with attempts left: tried again', { error: throttled, integration: connected }, { run: 'retrying', logCode: 'retrying' }],
  [
    'throttled on the last attempt: the tenant fails',
    { error: throttled, integration: connected, attempts: 3 },
    { run: 'failed', errorCode: 'throttled_out', tenantFailing: 'Graph kept answering 429', partner: null },
  ],
  [
    'the partner connection broke: the integration, not the tenant, is at fault',
    { error: revoked },
    {
      run: 'failed',
      errorCode: 'partner_connection_expired',
      tenantFailing: null,
      action: 'reconnect',
      partner: 'partner_connection_expired',
    },
  ],
  [
    'a tenant error after the token broker marked the integration: a partner failure with the stored reason',
    { error: throttled, integration: { status: 'needs_reconnect', status_reason: 'the refresh token expired' } },
    {
      run: 'failed',
      errorCode: 'partner_connection_expired',
      tenantFailing: null,
      action: 'open Integrations and reconnect the partner account',
      partner: 'partner_connection_expired',
    },
  ],
  [
    'a partner failure while stopping is still a partner failure',
    { error: revoked, stopReason: new TimeBudgetExceeded(900) },
    { run: 'failed', errorCode: 'partner_connection_expired', partner: 'partner_connection_expired' },
  ],
  [
    'out of time: a Microsoft error cut off by the stop is the stop’s doing',
    { error: throttled, stopReason: new TimeBudgetExceeded(900), integration: connected },
    {
      run: 'failed',
      errorCode: 'time_budget_exceeded',
      tenantFailing: /took longer than 900 s/,
      action: 'if this repeats, raise sync.tenantTimeBudgetSeconds',
    },
  ],
  [
    'a bug inside docsync: the tenant fails pointing at the run id in the server log',
    { error: new TypeError('x is undefined') },
    { run: 'failed', errorCode: 'internal_error', tenantFailing: /run id run-1/, action: /run id run-1/, partner: null },
  ],
];

describe('what a failed tenant run turns into', () => {
  it.each(table)('%s', (_situation, input, expected) => {
    const outcome = classifyFailure({ ...base, ...input });
    expect(outcome.run).toBe(expected.run);
    if (outcome.run === 'failed' || outcome.run === 'cancelled') {
      if (expected.errorCode) expect(outcome.errorCode).toBe(expected.errorCode);
    }
    if (outcome.run === 'failed') {
      if (expected.tenantFailing instanceof RegExp) expect(outcome.tenantFailing).toMatch(expected.tenantFailing);
      else if (expected.tenantFailing !== undefined) expect(outcome.tenantFailing).toBe(expected.tenantFailing);
      if (expected.partner !== undefined) expect(outcome.partner?.code ?? null).toBe(expected.partner);
    }
    if ('log' in outcome) {
      if (expected.logCode) expect(outcome.log.code).toBe(expected.logCode);
      if (expected.action instanceof RegExp) expect(outcome.log.action).toMatch(expected.action);
      else if (expected.action !== undefined) expect(outcome.log.action).toBe(expected.action);
      // Every line a technician reads names the tenant or the partner connection.
      expect(outcome.log.message).toMatch(/Contoso|partner|refresh token/);
    }
  });

  it('only a bug inside docsync goes to the server log', () => {
    const internal = classifyFailure({ ...base, error: new TypeError('boom') });
    const refused = classifyFailure({ ...base, error: consent, integration: connected });
    expect(internal.run === 'failed' && internal.internal).toBe(true);
    expect(refused.run === 'failed' && refused.internal).toBe(false);
  });
});
