// Issue 18, "keyset paging for the sync-log lists so page 1,500 costs what page 1 costs": the run
// list and a run's log lines page by cursor (sort key + id) with next / previous links, on the
// page and in the API; the documented `page` parameter keeps working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

interface RunPage {
  items: Array<{ id: string }>;
  total: number;
  nextLink: string | null;
  previousLink: string | null;
}

describe.each(DATABASE_KINDS)('paging the sync runs and their log by cursor on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  /** The seven top-level runs, newest first, as the list must show them. */
  let newestFirst: string[];
  let bigRunId: string;

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    const db = world.ctx.database.db;
    // Three runs share one creation time (microseconds included): only the id can order them.
    const times = ['2026-11-20T10:00:00.123456Z', '2026-11-21T10:00:00.123456Z', '2026-11-21T10:00:00.123456Z'];
    times.push('2026-11-21T10:00:00.123456Z', '2026-11-22T10:00:00Z', '2026-11-22T11:00:00Z', '2026-11-23T08:00:00Z');
    for (const at of times) {
      const run = await db
        .insertInto('sync_runs')
        .values({ integration_id: seeded.integrationId, trigger: 'schedule', status: 'succeeded', created_at: sql`${at}::timestamptz` })
        .returning('id')
        .executeTakeFirstOrThrow();
      // A per-tenant run under each: never listed at the top level.
      await db
        .insertInto('sync_runs')
        .values({
          integration_id: seeded.integrationId,
          tenant_id: seeded.tenants.contoso!.id,
          parent_run_id: run.id,
          trigger: 'schedule',
          status: 'succeeded',
          created_at: sql`${at}::timestamptz`,
        })
        .execute();
    }
    const ordered = await sql<{ id: string }>`
      select id from sync_runs where parent_run_id is null order by created_at desc, id desc`.execute(db);
    newestFirst = ordered.rows.map((r) => r.id);
    bigRunId = newestFirst[0]!;
    await sql`
      insert into sync_log (run_id, tenant_id, level, code, message, action)
      select ${bigRunId}::uuid, null, 'info', 'line', 'line ' || lpad(i::text, 4, '0'), null from generate_series(1, 1205) i`.execute(db);
  });
  afterAll(async () => {
    await world?.close();
  });

  async function apiPage(url: string): Promise<RunPage> {
    const response = await call(world, 'read_only', 'GET', url);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as RunPage;
  }

  it('walks every run once, newest first, by following nextLink, and back again by previousLink', async () => {
    const pages: RunPage[] = [await apiPage('/api/sync-runs?pageSize=3')];
    expect(pages[0]!.previousLink).toBeNull();
    while (pages.at(-1)!.nextLink) pages.push(await apiPage(pages.at(-1)!.nextLink!));
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
    expect(pages.flatMap((p) => p.items.map((r) => r.id))).toEqual(newestFirst);
    expect(pages.every((p) => p.total === 7)).toBe(true);
    // Back from the last page: the same pages in reverse.
    const middle = await apiPage(pages[2]!.previousLink!);
    expect(middle.items.map((r) => r.id)).toEqual(newestFirst.slice(3, 6));
    const first = await apiPage(middle.previousLink!);
    expect(first.items.map((r) => r.id)).toEqual(newestFirst.slice(0, 3));
    expect(first.previousLink).toBeNull();
  });

  it('keeps the documented page parameter working, with the same runs as the cursor', async () => {
    const second = await apiPage('/api/sync-runs?page=2&pageSize=3');
    expect(second.items.map((r) => r.id)).toEqual(newestFirst.slice(3, 6));
    expect(second.nextLink).toContain(`after=${newestFirst[5]}`);
    expect(second.previousLink).toContain(`before=${newestFirst[3]}`);
  });

  it('keeps the filters in the links', async () => {
    const page = await apiPage(`/api/sync-runs?pageSize=2&integrationId=${seeded.integrationId}&status=succeeded`);
    expect(page.nextLink).toContain(`integrationId=${seeded.integrationId}`);
    expect(page.nextLink).toContain('status=succeeded');
    const none = await apiPage('/api/sync-runs?pageSize=2&status=failed');
    expect(none).toMatchObject({ items: [], total: 0, nextLink: null, previousLink: null });
  });

  it('answers a cursor that is not a listed run with a 400 in the error shape', async () => {
    const unknown = await call(world, 'read_only', 'GET', '/api/sync-runs?after=00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'bad_input', message: expect.stringContaining('first page') });
    const malformed = await call(world, 'read_only', 'GET', '/api/sync-runs?before=not-a-run');
    expect(malformed.statusCode).toBe(400);
  });

  it('pages the run list page with Older and Newer links that work without script', async () => {
    const first = (await call(world, 'read_only', 'GET', '/sync-runs?pageSize=3')).body;
    expect(first).toContain('7 in all');
    expect(first).not.toContain('← Newer');
    const older = /<a href="([^"]+)" rel="next">Older →<\/a>/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    expect(older).toBe(`/sync-runs?pageSize=3&after=${newestFirst[2]}`);
    const second = (await call(world, 'read_only', 'GET', older!)).body;
    for (const id of newestFirst.slice(3, 6)) expect(second).toContain(`/sync-runs/${id}`);
    for (const id of newestFirst.slice(0, 3)) expect(second).not.toContain(`/sync-runs/${id}"`);
    expect(second).toContain('← Newer');
  });

  it('exports every run as CSV, however many pages', async () => {
    const csv = await call(world, 'read_only', 'GET', '/api/sync-runs?format=csv');
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.trim().split('\n');
    expect(lines).toHaveLength(1 + 7);
  });

  it("pages a run's log lines by line id: later and earlier links on the page, logBefore in the API", async () => {
    const first = (await call(world, 'read_only', 'GET', `/sync-runs/${bigRunId}`)).body;
    expect(first).toContain('line 1000');
    expect(first).not.toContain('line 1001');
    expect(first).not.toContain('← Earlier lines');
    const later = /<a href="([^"]+)" rel="next">Later lines →<\/a>/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    expect(later).toMatch(/^\/sync-runs\/[0-9a-f-]{36}\?logAfter=\d+#log$/);
    const second = (await call(world, 'read_only', 'GET', later!.replace('#log', ''))).body;
    expect(second).toContain('line 1001');
    expect(second).toContain('line 1205');
    expect(second).not.toContain('line 1000<');
    expect(second).not.toContain('Later lines →');
    const earlier = /<a href="([^"]+)" rel="prev">← Earlier lines<\/a>/.exec(second)?.[1]?.replace(/&amp;/g, '&');
    const back = (await call(world, 'read_only', 'GET', earlier!.replace('#log', ''))).body;
    expect(back).toContain('line 0001');
    expect(back).toContain('line 1000');
    expect(back).not.toContain('line 1001');

    const api = await call(world, 'read_only', 'GET', `/api/sync-runs/${bigRunId}?logLimit=2&logAfter=0`);
    const [a, b] = api.json().log as Array<{ id: string; message: string }>;
    expect([a!.message, b!.message]).toEqual(['line 0001', 'line 0002']);
    const before = await call(world, 'read_only', 'GET', `/api/sync-runs/${bigRunId}?logLimit=5&logBefore=${b!.id}`);
    expect((before.json().log as Array<{ message: string }>).map((l) => l.message)).toEqual(['line 0001']);
  });
});
