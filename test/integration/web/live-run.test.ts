// Issue 15, "the live page shows running tenants as they run": while an integration run is live,
// its page and GET /api/sync-runs/:id say which tenants are running now (phase, started, elapsed),
// which are done with their outcome and which wait; without script the page refreshes itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

function text(body: string): string {
  const main = /<main[\s\S]*<\/main>/.exec(body)?.[0] ?? body;
  return main
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');
}

describe.each(DATABASE_KINDS)('the live page of a running sync on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let runId: string;
  let contosoRunId: string;

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    const db = world.ctx.database.db;
    const now = world.clock.now();
    const started = new Date(now.getTime() - 95_000);
    runId = (
      await db
        .insertInto('sync_runs')
        .values({ integration_id: seeded.integrationId, trigger: 'manual', status: 'running', started_at: started, phase: 'tenants' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const child = async (tenantId: string, values: Record<string, unknown>) =>
      (
        await db
          .insertInto('sync_runs')
          .values({ integration_id: seeded.integrationId, tenant_id: tenantId, parent_run_id: runId, trigger: 'manual', ...values })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    contosoRunId = await child(seeded.tenants.contoso!.id, { status: 'running', phase: 'mailboxes', started_at: started });
    await child(seeded.tenants.fresh!.id, {
      status: 'failed',
      started_at: started,
      finished_at: now,
      summary: 'consent missing for Fresh Tenant',
    });
    await child(seeded.tenants.tailspin!.id, { status: 'queued' });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('lists the tenant running now with its phase and elapsed time, the one done with its outcome and the one waiting', async () => {
    const response = await call(world, 'read_only', 'GET', `/sync-runs/${runId}`);
    expect(response.statusCode).toBe(200);
    const page = text(response.body);
    expect(page).toContain('1 running · 1 done · 1 waiting');
    expect(page).toMatch(/Running now .*Contoso, Ltd\. .*UTC mailboxes 1 min 35 s/);
    expect(page).toMatch(/Done .*Fresh Tenant .*failed.*consent missing for Fresh Tenant/);
    expect(page).toMatch(/Waiting Tailspin Toys/);
    expect(response.body).toContain(`href="/sync-runs/${contosoRunId}"`);
  });

  it('refreshes itself without script while the run is live (no inline script: a meta refresh inside noscript)', async () => {
    const response = await call(world, 'read_only', 'GET', `/sync-runs/${runId}`);
    expect(response.body).toMatch(/<noscript><meta http-equiv="refresh" content="10" \/><\/noscript>/);
    expect(response.body).not.toMatch(/<script>/);
  });

  it('exposes the running tenants and the counts in GET /api/sync-runs/:id, elapsed by docsync clock', async () => {
    world.clock.advance(60_000);
    const response = await call(world, 'read_only', 'GET', `/api/sync-runs/${runId}`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.tenantCounts).toEqual({ running: 1, done: 1, waiting: 1 });
    expect(body.running).toEqual([
      {
        runId: contosoRunId,
        tenantId: seeded.tenants.contoso!.id,
        tenantName: 'Contoso, Ltd.',
        phase: 'mailboxes',
        startedAt: expect.any(String),
        elapsedSeconds: 155,
      },
    ]);
    // The fields that were there before keep their names.
    expect(body.tenants).toHaveLength(3);
    expect(body.run.status).toBe('running');
  });

  it('stops refreshing and shows every tenant as done once the run is over', async () => {
    const db = world.ctx.database.db;
    const now = world.clock.now();
    await db.updateTable('sync_runs').set({ status: 'succeeded', finished_at: now }).where('parent_run_id', '=', runId).execute();
    await db.updateTable('sync_runs').set({ status: 'partial', finished_at: now }).where('id', '=', runId).execute();
    const response = await call(world, 'read_only', 'GET', `/sync-runs/${runId}`);
    expect(response.body).not.toContain('http-equiv="refresh"');
    expect(response.body).not.toContain('data-live-run');
    expect(text(response.body)).toContain('0 running · 3 done · 0 waiting');
    const api = (await call(world, 'read_only', 'GET', `/api/sync-runs/${runId}`)).json();
    expect(api.running).toEqual([]);
    expect(api.tenantCounts).toEqual({ running: 0, done: 3, waiting: 0 });
  });
});
