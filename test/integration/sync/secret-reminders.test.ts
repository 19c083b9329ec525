// Issue 5: docsync reminds 30 and 7 days before a client secret expires. The hourly schedule
// tick writes the reminder into the integration's sync log (where technicians look) once per
// threshold, and again after expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createIntegrationStore } from '../../../src/microsoft/integrations.ts';
import { onScheduleTick } from '../../../src/sync/schedule.ts';

const DAY = 86_400_000;

describe.each(DATABASE_KINDS)('client secret reminders on %s', (kind) => {
  let ctx: TestContext;
  let now = new Date('2026-11-23T12:00:00Z');
  const clock = { now: () => now };

  beforeAll(async () => {
    ctx = await createTestContext(kind, { overrides: { clock } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const tick = () =>
    onScheduleTick({ db: ctx.database.db, secrets: ctx.secrets, log: pino({ level: 'silent' }), clock, retentionDays: 30, owner: 'test' });

  async function reminderLines(integrationId: string) {
    return ctx.database.db
      .selectFrom('sync_log')
      .innerJoin('sync_runs', 'sync_runs.id', 'sync_log.run_id')
      .select(['sync_log.code', 'sync_log.level', 'sync_log.message', 'sync_log.action'])
      .where('sync_runs.integration_id', '=', integrationId)
      .where('sync_log.code', 'like', 'client_secret%')
      .orderBy('sync_log.id')
      .execute();
  }

  it('says 30 days ahead, 7 days ahead and at expiry — each once — with what to do', async () => {
    const store = createIntegrationStore({ db: ctx.database.db, secrets: ctx.secrets, clock });
    const integration = await store.create({
      kind: 'gdap',
      name: 'Fabrikam partner',
      tenantId: 'fabrikampartners.onmicrosoft.com',
      clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
      clientSecret: 'Xy8Q~abcdefghijklmnopqrstuvwxyz0123456789',
      clientSecretExpiresAt: new Date(now.getTime() + 20 * DAY),
    });
    await ctx.database.db.updateTable('integrations').set({ status: 'connected' }).where('id', '=', integration.id).execute();

    await tick();
    now = new Date(now.getTime() + 3_600_000);
    await tick();
    let lines = await reminderLines(integration.id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: 'client_secret_expiring', level: 'warning' });
    expect(lines[0]!.message).toContain('Fabrikam partner');
    expect(lines[0]!.message).toContain('expires in 20 days');
    expect(lines[0]!.action).toMatch(/new secret/i);

    now = new Date(now.getTime() + 14 * DAY);
    await tick();
    lines = await reminderLines(integration.id);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.message).toContain('expires in 6 days');

    now = new Date(now.getTime() + 7 * DAY);
    await tick();
    lines = await reminderLines(integration.id);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ code: 'client_secret_expired', level: 'error' });
    expect(JSON.stringify(lines)).not.toContain('abcdefghijklmnopqrstuvwxyz');
  });
});
