import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMicrosoftTestContext } from './support/database.ts';
import type { AppContext } from '../../../src/context.ts';
import { createIntegrationStore } from '../../../src/microsoft/integrations.ts';

let ctx: AppContext;
let now = new Date('2026-11-23T10:00:00Z');
const clock = { now: () => now };
const partner = '11111111-1111-4111-8111-111111111111';
const app = '33333333-3333-4333-8333-333333333333';
const secretValue = 'Qx8~super.secret-value_1234567890abcdefgh';

beforeAll(async () => {
  ctx = await createMicrosoftTestContext('pglite');
});
afterAll(async () => {
  await ctx.close();
});

const store = () => createIntegrationStore({ db: ctx.database.db, secrets: ctx.secrets, clock });

describe('integrations store', () => {
  it('stores the client secret and refresh token sealed and never returns them', async () => {
    const created = await store().create({ kind: 'gdap', name: 'Partner', tenantId: partner, clientId: app, clientSecret: secretValue });
    expect(created.status).toBe('not_connected');
    expect(JSON.stringify(created)).not.toContain(secretValue);
    await store().storeRefreshToken(created.id, 'RT-plaintext-value');
    const view = await store().get(created.id);
    expect(view.status).toBe('connected');
    expect(view.hasRefreshToken).toBe(true);
    expect(JSON.stringify(view)).not.toContain('RT-plaintext-value');

    const raw = await ctx.database.db.selectFrom('integrations').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(raw)).not.toContain(secretValue);
    expect(JSON.stringify(raw)).not.toContain('RT-plaintext-value');
    expect(raw.client_secret_encrypted).toMatch(/^v1:k1:/);

    const credentials = await store().credentials(created.id);
    expect(credentials.clientSecret).toBe(secretValue);
    expect(credentials.refreshToken).toBe('RT-plaintext-value');
  });

  it('refuses a Secret ID pasted instead of the secret value', async () => {
    await expect(
      store().create({ kind: 'gdap', name: 'X', tenantId: partner, clientId: app, clientSecret: '44444444-4444-4444-8444-444444444444' }),
    ).rejects.toThrow(/Secret ID/);
  });

  it('refuses a tenant id that is neither a GUID nor a domain', async () => {
    await expect(
      store().create({ kind: 'gdap', name: 'X', tenantId: 'not a tenant', clientId: app, clientSecret: secretValue }),
    ).rejects.toThrow(/tenant id/);
  });

  it('rotation is compare-and-swap: a second process with a stale token does not overwrite', async () => {
    const created = await store().create({ kind: 'gdap', name: 'Rotating', tenantId: partner, clientId: app, clientSecret: secretValue });
    await store().storeRefreshToken(created.id, 'rt-1');
    const read = (await store().credentials(created.id)).sealedRefreshToken;
    expect(await store().replaceRefreshToken(created.id, read, 'rt-2')).toBe(true);
    expect(await store().replaceRefreshToken(created.id, read, 'rt-2-from-the-other-process')).toBe(false);
    expect((await store().credentials(created.id)).refreshToken).toBe('rt-2');
  });

  it('needs-reconnect keeps every stored secret', async () => {
    const created = await store().create({ kind: 'gdap', name: 'Expired', tenantId: partner, clientId: app, clientSecret: secretValue });
    await store().storeRefreshToken(created.id, 'rt-kept');
    await store().markNeedsReconnect(created.id, 'the partner connection expired: reconnect the integration');
    const credentials = await store().credentials(created.id);
    expect(credentials.integration.status).toBe('needs_reconnect');
    expect(credentials.integration.statusReason).toMatch(/reconnect/);
    expect(credentials.refreshToken).toBe('rt-kept');
  });

  it('direct app-only integrations are connected at once', async () => {
    const created = await store().create({
      kind: 'direct_app',
      name: 'Own tenant',
      tenantId: 'contoso.onmicrosoft.com',
      clientId: app,
      clientSecret: secretValue,
    });
    expect(created.status).toBe('connected');
  });

  it('reminds 30 and 7 days before the secret expires, each once', async () => {
    const created = await store().create({
      kind: 'gdap',
      name: 'Reminded',
      tenantId: partner,
      clientId: app,
      clientSecret: secretValue,
      clientSecretExpiresAt: new Date(now.getTime() + 40 * 86_400_000),
    });
    const due = async () => (await store().dueSecretReminders()).filter((r) => r.integration.id === created.id);
    expect(await due()).toEqual([]);
    now = new Date(now.getTime() + 11 * 86_400_000); // 29 days left
    const first = await due();
    expect(first.map((r) => [r.thresholdDays, r.daysLeft])).toEqual([[30, 29]]);
    expect(first[0]!.message).toMatch(/expires in 29 days/);
    await store().markSecretReminderSent(created.id, 30);
    expect(await due()).toEqual([]);
    now = new Date(now.getTime() + 23 * 86_400_000); // 6 days left
    expect((await due()).map((r) => r.thresholdDays)).toEqual([7]);
    await store().markSecretReminderSent(created.id, 7);
    expect(await due()).toEqual([]);
    now = new Date(now.getTime() + 7 * 86_400_000); // expired
    expect((await due()).map((r) => r.thresholdDays)).toEqual([0]);
  });
});
