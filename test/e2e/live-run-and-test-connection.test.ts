// Issue 15 in Chromium: a running sync's page lists the tenants running now, done and waiting, and
// follows them as they move (app.js polls the API and re-reads the section, no inline script);
// "Test connection" on the integration page shows each permission's result for a tenant whose GDAP
// roles lack some (the real client against the emulator). Screenshots at 1280 and 800 px, axe clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../integration/sync/fixtures.ts';
import { PASSWORD, TestClock } from '../integration/web/support.ts';
import { chromiumAvailable, launchBrowser, listenOnLoopback, shotsChecked, signIn, type BrowserSession } from './harness.ts';

describe.skipIf(!chromiumAvailable)('the live run page and test connection in Chromium', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let base: string;
  let session: BrowserSession;
  let integrationId: string;
  let runId: string;
  const tenantRuns: Record<'running' | 'done' | 'waiting', string> = { running: '', done: '', waiting: '' };
  const clock = new TestClock(new Date());

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 15, customers: 5, usersPerTenant: 5, autoConsent: true, clock });
    ctx = await createTestContext('pglite', { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    integrationId = await connectIntegrationToEmulator(ctx.microsoft, emulator);
    const db = ctx.database.db;
    const tenants = await db.selectFrom('tenants').select(['id', 'display_name']).orderBy('display_name').limit(3).execute();
    const started = new Date(clock.now().getTime() - 95_000);
    runId = (
      await db
        .insertInto('sync_runs')
        .values({
          integration_id: integrationId,
          trigger: 'manual',
          status: 'running',
          started_at: started,
          phase: 'tenants',
          progress_total: 3,
          progress_done: 1,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const child = async (tenantId: string, values: Record<string, unknown>) =>
      (
        await db
          .insertInto('sync_runs')
          .values({ integration_id: integrationId, tenant_id: tenantId, parent_run_id: runId, trigger: 'manual', ...values })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    tenantRuns.running = await child(tenants[0]!.id, { status: 'running', phase: 'mailboxes', started_at: started });
    tenantRuns.done = await child(tenants[1]!.id, {
      status: 'partial',
      started_at: started,
      finished_at: clock.now(),
      unchanged: 5,
      summary: '5 users, 2 devices; mailboxes not read: permission missing',
    });
    tenantRuns.waiting = await child(tenants[2]!.id, { status: 'queued' });
    await createTechnician(
      { db, clock },
      { username: 'tess', password: PASSWORD, role: 'technician', displayName: 'Tess Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    base = await listenOnLoopback(app);
    session = await launchBrowser({ screenshotPrefix: 'live-run' });
    await signIn(session.page, { url: base, username: 'tess', password: PASSWORD }, '/');
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  it('lists the tenant running now with phase and elapsed time, the done one with its outcome, the waiting one', async () => {
    const { page } = session;
    await page.goto(`${base}/sync-runs/${runId}`);
    const tenants = page.locator('[data-live-tenants]');
    await tenants.getByText('1 running · 1 done · 1 waiting').waitFor();
    const running = page.getByRole('region', { name: 'Tenants running now' });
    await running.getByRole('cell', { name: 'mailboxes' }).waitFor();
    await running.getByRole('cell', { name: /1 min 3\d s/ }).waitFor();
    await page.getByRole('region', { name: 'Per-tenant runs' }).getByText('mailboxes not read: permission missing').waitFor();
    await shotsChecked(session, 'running');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });

  it('follows the tenants as they move, without a reload', async () => {
    const { page } = session;
    await page.evaluate('window.__samePage = true');
    const db = ctx.database.db;
    await db
      .updateTable('sync_runs')
      .set({ status: 'succeeded', finished_at: clock.now(), summary: '5 users, 2 devices, 5 mailboxes' })
      .where('id', '=', tenantRuns.running)
      .execute();
    await db
      .updateTable('sync_runs')
      .set({ status: 'running', phase: 'users', started_at: clock.now() })
      .where('id', '=', tenantRuns.waiting)
      .execute();
    await page.locator('[data-live-tenants]').getByText('1 running · 2 done · 0 waiting').waitFor({ timeout: 10_000 });
    await page.getByRole('region', { name: 'Tenants running now' }).getByRole('cell', { name: 'users', exact: true }).waitFor();
    expect(await page.evaluate('window.__samePage')).toBe(true);
    await shotsChecked(session, 'moved');
  });

  it('shows each permission of a tenant whose GDAP roles lack some after "Test connection"', async () => {
    const { page } = session;
    const limited = emulator.world.customers().find((c) => c.traits.gdap === 'limited')!;
    const row = await ctx.database.db
      .selectFrom('tenants')
      .select(['id', 'display_name'])
      .where('microsoft_tenant_id', '=', limited.tenantId)
      .executeTakeFirstOrThrow();
    await page.goto(`${base}/integrations/${integrationId}`);
    await page.getByRole('button', { name: `Test connection ${row.display_name}` }).click();
    await page.waitForURL(`${base}/tenants/${row.id}/test-connection`);
    await page.getByRole('heading', { name: `Connection test of ${row.display_name}` }).waitFor();
    const results = page.getByRole('region', { name: 'Connection test results' });
    await results.getByRole('row', { name: /User\.Read\.All users OK/ }).waitFor();
    await results.getByRole('row', { name: /MFA registration .* missing permission .*Global Reader/ }).waitFor();
    await shotsChecked(session, 'test-connection');
    expect(session.cspViolations).toEqual([]);
  });
});
