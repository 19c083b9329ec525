// startEmulator on the real world, and `docsync emulator` as a process.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { claimsOf, postForm } from './helpers.ts';

const refreshAt = (
  emu: { urls: { authorityHost: string } },
  tenant: string,
  credentials: { clientId: string; clientSecret: string; refreshToken: string },
  scope: string,
) =>
  postForm(`${emu.urls.authorityHost}/${tenant}/oauth2/v2.0/token`, {
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    grant_type: 'refresh_token',
    refresh_token: credentials.refreshToken,
    scope,
  });

describe('startEmulator on the generated world', () => {
  let emu: RunningEmulator;
  let now = Date.parse('2026-03-02T09:00:00Z');
  beforeAll(async () => {
    emu = await startEmulator({ seed: 1, customers: 6, usersPerTenant: 20, clock: { now: () => new Date(now) } });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('partner admin refresh token works at the partner and customers with active GDAP, not where GDAP expired or DAP only', async () => {
    const scope = `${emu.urls.graphBaseUrl}/.default offline_access`;
    const atPartner = await refreshAt(emu, emu.credentials.partnerTenantId, emu.credentials, scope);
    expect(atPartner.status).toBe(200);
    const customers = emu.world.customers();
    const byGdap = (kind: string) => customers.filter((c) => c.traits.gdap === kind);
    for (const customer of byGdap('active')) {
      const result = await refreshAt(emu, customer.tenantId, emu.credentials, scope);
      if (emu.world.appConsented(customer.tenantId, emu.credentials.clientId)) {
        expect(result.status, customer.displayName).toBe(200);
        expect(claimsOf(String(result.body.access_token)).tid).toBe(customer.tenantId);
      } else {
        expect(result.body.error_codes).toEqual([65001]);
      }
    }
    for (const customer of [...byGdap('expired'), ...byGdap('none')]) {
      const result = await refreshAt(emu, customer.tenantId, emu.credentials, scope);
      expect(result.body.error_codes, customer.displayName).toEqual([50020]);
    }
  });

  it('consent removed through control → 65001 at that tenant; the admin consent page restores it', async () => {
    const customer = emu.world
      .customers()
      .find((c) => c.traits.gdap === 'active' && emu.world.appConsented(c.tenantId, emu.credentials.clientId))!;
    emu.control.removeConsent(customer.tenantId);
    const result = await refreshAt(emu, customer.tenantId, emu.credentials, `${emu.urls.graphBaseUrl}/.default offline_access`);
    expect(result.body).toMatchObject({ error: 'invalid_grant', error_codes: [65001], suberror: 'consent_required' });

    // The technician follows docsync's admin consent link and accepts as the partner admin.
    const consentUrl = `${emu.urls.authorityHost}/${customer.tenantId}/adminconsent?client_id=${emu.credentials.clientId}&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/consented')}&state=s1`;
    const page = await fetch(consentUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Consent on behalf of your organization');
    const { adminUser } = emu.world.partner;
    const accepted = await postForm(consentUrl, { login: adminUser.userPrincipalName, passwd: adminUser.password, decision: 'accept' });
    expect(accepted.status).toBe(302);
    const location = new URL(accepted.headers.get('location')!);
    expect(Object.fromEntries(location.searchParams)).toEqual({ admin_consent: 'True', tenant: customer.tenantId, state: 's1' });
    const again = await refreshAt(emu, customer.tenantId, emu.credentials, `${emu.urls.graphBaseUrl}/.default offline_access`);
    expect(again.status).toBe(200);
  });

  it('access tokens expire when the injected clock moves past their lifetime', async () => {
    const result = await refreshAt(
      emu,
      emu.credentials.partnerTenantId,
      emu.credentials,
      `${emu.urls.graphBaseUrl}/.default offline_access`,
    );
    const header = `Bearer ${String(result.body.access_token)}`;
    expect(emu.tokens.verifyAccessToken(header).tenantId).toBe(emu.credentials.partnerTenantId);
    now += Number(result.body.expires_in) * 1000;
    expect(() => emu.tokens.verifyAccessToken(header)).toThrow(expect.objectContaining({ reason: 'expired' }));
  });
});

describe('docsync emulator', () => {
  it('prints one JSON line first, serves, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['bin/docsync.js', 'emulator', '--host', '127.0.0.1', '--port', '0', '--seed', '1', '--customers', '3', '--users-per-tenant', '50'],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DOCSYNC_ENV: 'test' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', () => reject(new Error(`exited before printing: ${stderr}`)));
      });
      const info = JSON.parse(first) as Record<string, unknown>;
      expect(Object.keys(info)).toEqual([
        'authorityHost',
        'graphBaseUrl',
        'partnerTenantId',
        'clientId',
        'clientSecret',
        'refreshToken',
        'customers',
      ]);
      expect(info.customers).toBe(3);
      expect(info.authorityHost).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const result = await refreshAt(
        { urls: { authorityHost: String(info.authorityHost) } },
        String(info.partnerTenantId),
        { clientId: String(info.clientId), clientSecret: String(info.clientSecret), refreshToken: String(info.refreshToken) },
        'https://graph.microsoft.com/.default offline_access',
      );
      expect(result.status).toBe(200);
      expect(stderr).not.toContain(String(info.refreshToken));
      expect(stderr).not.toContain(String(info.clientSecret));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
