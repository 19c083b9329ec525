import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, connectedIntegration, countTokenRequests, customerByIndex, type MicrosoftHarness } from './support.ts';
import { MicrosoftError } from '../../../src/microsoft/errors.ts';
import { claimsOf } from '../emulator-identity/helpers.ts';

let h: MicrosoftHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
// The emulator applies the first matching fault rule: start every test without leftovers.
beforeEach(() => h.emulator.control.faults.clear());

async function failure(promise: Promise<unknown>): Promise<MicrosoftError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MicrosoftError);
  return error as MicrosoftError;
}

describe('token broker (real MSAL against the emulator)', () => {
  it('100 concurrent callers for one tenant cause exactly one token request', async () => {
    const id = await connectedIntegration(h);
    const tenant = customerByIndex(h, 0).tenantId;
    const count = countTokenRequests(h, tenant);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => h.microsoft.tokens.accessToken(id, tenant)));
    expect(new Set(tokens).size).toBe(1);
    expect(count()).toBe(1);
    expect(claimsOf(tokens[0]!).tid).toBe(tenant);
  });

  it('serves the cached token until 2 minutes before expiry, then renews once', async () => {
    const id = await connectedIntegration(h);
    const tenant = customerByIndex(h, 1).tenantId;
    const count = countTokenRequests(h, tenant);
    const first = await h.microsoft.tokens.accessToken(id, tenant);
    const exp = Number(claimsOf(first).exp) * 1000;
    const lifetime = exp - Number(claimsOf(first).iat) * 1000;
    h.clock.advance(lifetime - 3 * 60_000);
    expect(await h.microsoft.tokens.accessToken(id, tenant)).toBe(first);
    expect(count()).toBe(1);
    h.clock.advance(90_000);
    await h.microsoft.tokens.accessToken(id, tenant);
    expect(count()).toBe(2);
  });

  it('persists the rotated refresh token, sealed', async () => {
    const id = await connectedIntegration(h);
    const before = await h.microsoft.integrations.credentials(id);
    await h.microsoft.tokens.accessToken(id, customerByIndex(h, 2).tenantId);
    const after = await h.microsoft.integrations.credentials(id);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.sealedRefreshToken).toMatch(/^v1:/);
    expect(after.sealedRefreshToken).not.toContain(after.refreshToken!);
  });

  it('two processes racing a rotation both get tokens; the stored token stays usable', async () => {
    const id = await connectedIntegration(h);
    const other = h.secondProcess();
    const [a, b] = await Promise.all([
      h.microsoft.tokens.accessToken(id, customerByIndex(h, 0).tenantId),
      other.tokens.accessToken(id, customerByIndex(h, 1).tenantId),
    ]);
    expect(a).toBeTruthy();
    expect(b).toBeTruthy();
    // Whichever rotation won, the stored token redeems.
    const third = h.secondProcess();
    expect(await third.tokens.accessToken(id, customerByIndex(h, 2).tenantId)).toBeTruthy();
  });

  it('after a revoked sign-in, a process retries once with the token another process stored meanwhile', async () => {
    const id = await connectedIntegration(h);
    const tenant = customerByIndex(h, 0).tenantId;
    // Process B signs in again (new refresh token) after every old token was revoked; process A still
    // holds the old one when it starts — the first answer it gets is invalid_grant (50173).
    h.emulator.control.faults.add({
      server: 'identity',
      endpoint: '*/oauth2/v2.0/token',
      tenant,
      count: 1,
      action: { kind: 'aadsts', code: 50173 },
    });
    await h.microsoft.integrations.storeRefreshToken(id, h.emulator.control.issuePartnerRefreshToken());
    const stale = await h.microsoft.integrations.credentials(id);
    // Simulate the interleaving: A read `stale`, then B stored a fresh token.
    const aProcess = h.secondProcess();
    const originalCredentials = aProcess.integrations.credentials;
    let reads = 0;
    const broker = (await import('../../../src/microsoft/token-broker.ts')).createTokenBroker({
      microsoft: h.ctx.config.microsoft,
      integrations: {
        ...aProcess.integrations,
        credentials: async (integrationId: string) => (reads++ === 0 ? stale : originalCredentials(integrationId)),
        replaceRefreshToken: aProcess.integrations.replaceRefreshToken,
        sealedRefreshToken: aProcess.integrations.sealedRefreshToken,
        markNeedsReconnect: aProcess.integrations.markNeedsReconnect,
      },
      clock: h.clock,
      log: h.ctx.log,
      msal: (await import('../../../src/microsoft/index.ts')).msalWiringFor(h.ctx.config.microsoft.authorityHost),
    });
    await h.microsoft.integrations.storeRefreshToken(id, h.emulator.control.issuePartnerRefreshToken());
    expect(await broker.accessToken(id, tenant)).toBeTruthy();
    expect((await h.microsoft.integrations.get(id)).status).toBe('connected');
  });
});

describe('token failures become technician actions', () => {
  it('consent removed in a customer (65001): consent link, only that tenant affected', async () => {
    const id = await connectedIntegration(h);
    const tenant = customerByIndex(h, 2);
    h.emulator.control.removeConsent(tenant.tenantId);
    try {
      const error = await failure(h.microsoft.tokens.accessToken(id, tenant.tenantId));
      expect([error.code, error.scope]).toEqual(['consent_missing', 'tenant']);
      expect(error.action).toContain(
        `${h.emulator.urls.authorityHost}/${tenant.tenantId}/adminconsent?client_id=${h.emulator.credentials.clientId}`,
      );
      expect((await h.microsoft.integrations.get(id)).status).toBe('connected');
      expect(await h.microsoft.tokens.accessToken(id, customerByIndex(h, 0).tenantId)).toBeTruthy();
    } finally {
      h.emulator.world.restoreConsent(tenant.tenantId);
    }
  });

  it('expired relationship / DAP-only customer (50020): the GDAP group has no role there', async () => {
    const id = await connectedIntegration(h);
    for (const index of [4, 5]) {
      const error = await failure(h.microsoft.tokens.accessToken(id, customerByIndex(h, index).tenantId));
      expect([error.code, error.scope, error.details.aadsts]).toEqual(['gdap_role_missing', 'tenant', 50020]);
      expect(error.action).toMatch(/not in a security group with a role/);
    }
  });

  it('unknown tenant (90002): tenant not found', async () => {
    const id = await connectedIntegration(h);
    const error = await failure(h.microsoft.tokens.accessToken(id, '0f0f0f0f-0000-4000-8000-000000000000'));
    expect(error.code).toBe('tenant_not_found');
  });

  it.each([
    [50076, 'mfa_required', 'tenant'],
    [50079, 'mfa_required', 'tenant'],
    [700016, 'app_not_found', 'tenant'],
    [7000222, 'client_secret_expired', 'partner'],
  ] as const)('AADSTS%i → %s (%s scope)', async (code, expected, scope) => {
    const id = await connectedIntegration(h);
    const tenant = customerByIndex(h, 3).tenantId;
    h.emulator.control.faults.add({
      server: 'identity',
      endpoint: '*/oauth2/v2.0/token',
      tenant,
      count: 1,
      action: { kind: 'aadsts', code },
    });
    const error = await failure(h.microsoft.tokens.accessToken(id, tenant));
    expect([error.code, error.scope]).toEqual([expected, scope]);
    expect((await h.microsoft.integrations.get(id)).status).toBe(scope === 'partner' ? 'needs_reconnect' : 'connected');
  });

  it.each([50173, 700082])(
    'AADSTS%i: partner connection expired → needs reconnect, stored token kept, one log line with the action',
    async (code) => {
      const id = await connectedIntegration(h);
      const before = await h.microsoft.integrations.credentials(id);
      const tenant = customerByIndex(h, 0).tenantId;
      h.emulator.control.faults.add({
        server: 'identity',
        endpoint: '*/oauth2/v2.0/token',
        tenant,
        count: 1,
        action: { kind: 'aadsts', code },
      });
      const linesBefore = h.logLines.length;
      const error = await failure(h.microsoft.tokens.accessToken(id, tenant));
      expect([error.code, error.scope]).toEqual(['partner_connection_expired', 'partner']);
      const after = await h.microsoft.integrations.credentials(id);
      expect(after.integration.status).toBe('needs_reconnect');
      expect(after.integration.statusReason).toMatch(/reconnect the integration/);
      expect(after.refreshToken).toBe(before.refreshToken);
      const lines = h.logLines.slice(linesBefore).filter((l) => l.includes('token request failed'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('reconnect the integration');
      // Further requests fail fast without asking Microsoft again.
      const count = countTokenRequests(h);
      await failure(h.microsoft.tokens.accessToken(id, customerByIndex(h, 1).tenantId));
      expect(count()).toBe(0);
    },
  );

  it('a wrong client secret (7000215) says to paste the value, not the id', async () => {
    const id = await connectedIntegration(h, { clientSecret: 'wrong~secret-value-000000000000000000000' });
    const error = await failure(h.microsoft.tokens.accessToken(id, customerByIndex(h, 0).tenantId));
    expect([error.code, error.scope]).toEqual(['client_secret_rejected', 'partner']);
    expect(error.action).toMatch(/Value, not its Secret ID/);
  });
});
