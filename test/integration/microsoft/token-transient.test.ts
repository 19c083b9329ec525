// A transient answer from the token endpoint (429 AADSTS90055 with Retry-After, 503 AADSTS90033)
// is retried after Retry-After or with backoff, for the partner tenant as for any customer; only
// a definitive grant failure asks for a reconnect. Before, one 503 for the partner tenant marked
// the integration needs_reconnect for good. Real MSAL against the emulator, both databases.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { MicrosoftError } from '../../../src/microsoft/errors.ts';
import { startHarness, connectedIntegration, customerByIndex, type MicrosoftHarness } from './support.ts';

describe.each(DATABASE_KINDS)('transient token failures on %s', (kind) => {
  let h: MicrosoftHarness;
  beforeAll(async () => {
    h = await startHarness({ kind });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.emulator.control.faults.clear();
    h.sleeps.length = 0;
  });

  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MicrosoftError);
    return error as MicrosoftError;
  };
  const tokenFault = (tenant: string, count: number, action: Record<string, unknown>) =>
    h.emulator.control.faults.add({ server: 'identity', endpoint: '*/oauth2/v2.0/token', tenant, count, action: action as never });

  it('retries a 503 from the token endpoint for the partner tenant and stays connected', async () => {
    const id = await connectedIntegration(h);
    const partner = h.emulator.credentials.partnerTenantId;
    tokenFault(partner, 2, { kind: 'status', status: 503 });
    const before = h.microsoft.tokens.stats().perTenant[partner] ?? 0;
    expect(await h.microsoft.tokens.accessToken(id, partner)).toBeTruthy();
    expect((h.microsoft.tokens.stats().perTenant[partner] ?? 0) - before).toBe(3);
    expect(h.sleeps).toEqual([1000, 2000]);
    expect((await h.microsoft.integrations.get(id)).status).toBe('connected');
  });

  it("waits the 429's Retry-After (fractional seconds) before asking again", async () => {
    const id = await connectedIntegration(h);
    const tenant = customerByIndex(h, 0).tenantId;
    tokenFault(tenant, 1, { kind: 'status', status: 429, retryAfter: 2.5 });
    expect(await h.microsoft.tokens.accessToken(id, tenant)).toBeTruthy();
    expect(h.sleeps).toEqual([2500]);
  });

  it('a partner-tenant outage that outlasts the retries fails the run for now, and asks nobody to reconnect', async () => {
    const id = await connectedIntegration(h);
    const partner = h.emulator.credentials.partnerTenantId;
    tokenFault(partner, 50, { kind: 'status', status: 503 });
    const error = await failure(h.microsoft.tokens.accessToken(id, partner));
    expect([error.code, error.scope, error.details.aadsts]).toEqual(['identity_unavailable', 'tenant', 90033]);
    expect(h.sleeps.length).toBe(4);
    expect((await h.microsoft.integrations.get(id)).status).toBe('connected');
    h.emulator.control.faults.clear();
    expect(await h.microsoft.tokens.accessToken(id, partner)).toBeTruthy();
  });

  it('a revoked grant (50173) still needs a reconnect, at once, without retries', async () => {
    const id = await connectedIntegration(h);
    const partner = h.emulator.credentials.partnerTenantId;
    tokenFault(partner, 1, { kind: 'aadsts', code: 50173 });
    const error = await failure(h.microsoft.tokens.accessToken(id, partner));
    expect([error.code, error.scope]).toEqual(['partner_connection_expired', 'partner']);
    expect(h.sleeps).toEqual([]);
    expect((await h.microsoft.integrations.get(id)).status).toBe('needs_reconnect');
  });

  it("AADSTS70043 (sign-in frequency) at a customer is that customer's problem; at the partner it needs a reconnect", async () => {
    const id = await connectedIntegration(h);
    const customer = customerByIndex(h, 1).tenantId;
    tokenFault(customer, 1, { kind: 'aadsts', code: 70043 });
    const atCustomer = await failure(h.microsoft.tokens.accessToken(id, customer));
    expect([atCustomer.code, atCustomer.scope]).toEqual(['conditional_access_blocked', 'tenant']);
    expect(atCustomer.action).toMatch(/sign-in frequency/);
    expect((await h.microsoft.integrations.get(id)).status).toBe('connected');

    const partner = h.emulator.credentials.partnerTenantId;
    tokenFault(partner, 1, { kind: 'aadsts', code: 70043 });
    const atPartner = await failure(h.microsoft.tokens.accessToken(id, partner));
    expect([atPartner.code, atPartner.scope]).toEqual(['partner_connection_expired', 'partner']);
    expect((await h.microsoft.integrations.get(id)).status).toBe('needs_reconnect');
  });
});
