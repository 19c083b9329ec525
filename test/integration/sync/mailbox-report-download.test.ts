// Mailbox usage comes as a 302 from Graph to a pre-authenticated download on another host
// (reports.office.com; examples/reports-getMailboxUsageDetail.txt). The emulator serves it from
// another origin, so the sync must follow the redirect there and must not carry Graph's token
// along. Real MSAL and Graph client against the emulator, both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

describe.each(DATABASE_KINDS)('mailbox usage from the report download host on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 51, customers: 1, usersPerTenant: 15, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  it('stages the mailboxes, downloaded from another origin without the Authorization header', async () => {
    const customer = emulator.world.customers()[0]!;
    emulator.world.setReportsConcealed(customer.tenantId, false);
    const integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });

    const mailboxes = await ctx.database.db.selectFrom('ms_mailboxes').select('user_principal_name').execute();
    const expected = emulator.world.mailboxUsage(customer.tenantId).filter((m) => !m.isDeleted).length;
    expect(mailboxes.length).toBe(expected);
    // Mailbox usage, active users and email activity: three downloads, none with the token.
    expect(emulator.reportDownloads.total).toBe(3);
    expect(emulator.reportDownloads.withAuthorization).toBe(0);
  });
});
