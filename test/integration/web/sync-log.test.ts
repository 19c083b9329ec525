// Issue 15, "run and log clarity": a run's log reads per tenant (a heading each), repeated lines
// collapse into one with a count, level and tenant filters work on the page (a plain GET form) and
// on GET /api/sync-runs/:id; a "sync now" of an ended tenant keeps the precise reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { MicrosoftError } from '../../../src/microsoft/errors.ts';
import { fakeSource, contosoDataAs } from '../sync/records.ts';
import { runnerWithFakeSources } from '../sync/fixtures.ts';
import { call, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

/** The visible text of a page's main element, tags stripped and spaces collapsed. */
function text(body: string): string {
  const main = /<main[\s\S]*<\/main>/.exec(body)?.[0] ?? body;
  return main
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');
}

interface Line {
  tenantId: string | null;
  level: string;
  code: string;
  message: string;
}

describe.each(DATABASE_KINDS)('a sync run log a technician can read on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let runId: string;

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    const db = world.ctx.database.db;
    const t = seeded.tenants;
    const run = await db
      .insertInto('sync_runs')
      .values({ integration_id: seeded.integrationId, trigger: 'manual', status: 'partial' })
      .returning('id')
      .executeTakeFirstOrThrow();
    runId = run.id;
    const child = async (tenantId: string) =>
      (
        await db
          .insertInto('sync_runs')
          .values({ integration_id: seeded.integrationId, tenant_id: tenantId, parent_run_id: runId, trigger: 'manual', status: 'partial' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const contosoRun = await child(t.contoso!.id);
    const freshRun = await child(t.fresh!.id);
    const throttled = {
      run_id: contosoRun,
      tenant_id: t.contoso!.id,
      level: 'warning' as const,
      code: 'retrying',
      message: 'Contoso Ltd: Microsoft is throttling requests; waiting',
      action: null,
    };
    await db
      .insertInto('sync_log')
      .values([
        { run_id: runId, tenant_id: null, level: 'info', code: 'run_started', message: 'sync of 2 tenants started', action: null },
        ...Array.from({ length: 12 }, () => throttled),
        {
          run_id: contosoRun,
          tenant_id: t.contoso!.id,
          level: 'info',
          code: 'tenant_synced',
          message: 'Contoso Ltd: 3 created',
          action: null,
        },
        {
          run_id: freshRun,
          tenant_id: t.fresh!.id,
          level: 'error',
          code: 'permission_missing',
          message: 'Fresh Tenant: docsync may not read devices',
          action: 'grant the permission and re-run admin consent',
        },
        {
          run_id: freshRun,
          tenant_id: t.fresh!.id,
          level: 'info',
          code: 'tenant_synced',
          message: 'Fresh Tenant: 1 created',
          action: null,
        },
      ])
      .execute();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('groups the log under a heading per tenant and shows twelve identical lines as one with ×12', async () => {
    const response = await call(world, 'read_only', 'GET', `/sync-runs/${runId}`);
    expect(response.statusCode).toBe(200);
    const page = text(response.body);
    expect(page).toMatch(/The whole sync \(1 line\).*sync of 2 tenants started/);
    expect(page).toMatch(/Contoso, Ltd\. \(13 lines\).*Microsoft is throttling requests; waiting ×12.*Contoso Ltd: 3 created/);
    expect(page).toMatch(/Fresh Tenant \(2 lines\).*Fresh Tenant: docsync may not read devices.*Fresh Tenant: 1 created/);
    expect(page.match(/Microsoft is throttling requests; waiting/g)).toHaveLength(1);
    // Headings in order: the integration's own lines first, then tenants by name.
    const headings = [...response.body.matchAll(/<h3 id="log-group-\d+">([\s\S]*?)<span class="muted"/g)].map((m) => text(m[1]!).trim());
    expect(headings).toEqual(['The whole sync', 'Contoso, Ltd.', 'Fresh Tenant']);
  });

  it('filters the page by level and by tenant with a form that works without script', async () => {
    const form = (await call(world, 'read_only', 'GET', `/sync-runs/${runId}`)).body;
    expect(form).toMatch(/<form class="filters" method="get" action="\/sync-runs\/[0-9a-f-]{36}#log"/);
    expect(form).toContain('<select id="log-level" name="level">');
    expect(form).toContain(`<option value="${seeded.tenants.fresh!.id}" >Fresh Tenant</option>`);

    const errors = text((await call(world, 'read_only', 'GET', `/sync-runs/${runId}?level=error`)).body);
    expect(errors).toContain('Fresh Tenant: docsync may not read devices');
    expect(errors).not.toContain('throttling');
    expect(errors).not.toContain('sync of 2 tenants started');

    const contoso = text((await call(world, 'read_only', 'GET', `/sync-runs/${runId}?level=&tenantId=${seeded.tenants.contoso!.id}`)).body);
    expect(contoso).toContain('Contoso Ltd: 3 created');
    expect(contoso).not.toContain('Fresh Tenant: 1 created');
    expect(contoso).toContain('Show every line');

    const none = text(
      (await call(world, 'read_only', 'GET', `/sync-runs/${runId}?level=error&tenantId=${seeded.tenants.contoso!.id}`)).body,
    );
    expect(none).toContain('No log lines match this filter.');
  });

  it('filters GET /api/sync-runs/:id by level and tenantId, and refuses an unknown level with a 400', async () => {
    const all = await call(world, 'read_only', 'GET', `/api/sync-runs/${runId}`);
    expect((all.json().log as Line[]).length).toBe(16);
    const fresh = await call(world, 'read_only', 'GET', `/api/sync-runs/${runId}?tenantId=${seeded.tenants.fresh!.id}`);
    expect((fresh.json().log as Line[]).map((l) => l.code)).toEqual(['permission_missing', 'tenant_synced']);
    const warnings = await call(world, 'read_only', 'GET', `/api/sync-runs/${runId}?level=warning`);
    const lines = warnings.json().log as Line[];
    expect(lines).toHaveLength(12);
    expect(new Set(lines.map((l) => l.tenantId))).toEqual(new Set([seeded.tenants.contoso!.id]));
    const bad = await call(world, 'read_only', 'GET', `/api/sync-runs/${runId}?level=debug`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
  });

  it("keeps an ended relationship's precise reason in the tenant's status and log after a manual sync", async () => {
    const db = world.ctx.database.db;
    const tailspin = seeded.tenants.tailspin!;
    const reason = 'the GDAP relationship has ended (expired, 2026-10-21)';
    await db
      .updateTable('tenants')
      .set({ active: false, relationship_status: 'expired', inactive_reason: reason, health: 'failing', health_reason: reason })
      .where('id', '=', tailspin.id)
      .execute();
    await db.updateTable('integrations').set({ status: 'connected' }).where('id', '=', seeded.integrationId).execute();
    const queued = await call(world, 'technician', 'POST', `/api/tenants/${tailspin.id}/sync`);
    expect(queued.statusCode).toBeLessThan(300);
    const manualRunId = queued.json().runId as string;
    // Microsoft answers a customer whose relationship ended with a refusal (see emulator graph/permissions.ts).
    const data = contosoDataAs('Tailspin', { domain: 'tailspin.example', idPrefix: 'tail' });
    data.failing.organization = new MicrosoftError(
      'gdap_role_missing',
      'tenant',
      'Microsoft refused access to the tenant (403)',
      'check GDAP',
    );
    await createSyncWorker(
      runnerWithFakeSources(world.ctx, () => fakeSource(data)),
      { concurrency: 1 },
    ).drain();

    const tenant = await db
      .selectFrom('tenants')
      .select(['health', 'health_reason'])
      .where('id', '=', tailspin.id)
      .executeTakeFirstOrThrow();
    expect(tenant).toEqual({ health: 'failing', health_reason: reason });
    const detail = await call(world, 'read_only', 'GET', `/api/sync-runs/${manualRunId}?level=error`);
    const [line] = detail.json().log as (Line & { action: string })[];
    expect(line!.message).toContain(`: ${reason}; Microsoft refused the sync (Microsoft refused access to the tenant (403))`);
    expect(line!.action).toContain('create a new GDAP relationship in Partner Center');
    expect(detail.json().run.summary).toBe(reason);
  });
});
