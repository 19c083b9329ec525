// An organization's configurations (issue 15: compliance, OS and stale check-in filters, sortable
// columns; issue 18: cursor paging), the same on the page, the JSON API and the CSV export.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedTenants, startWebWorld, type WebWorld } from './support.ts';

const rowsOf = (body: string) =>
  body
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean);

describe.each(DATABASE_KINDS)("an organization's configuration list on %s", (kind) => {
  let world: WebWorld;
  let org: string;
  const names = async (query: string) =>
    (
      (await call(world, 'read_only', 'GET', `/api/organizations/${org}/configurations?${query}`)).json().items as Array<{ name: string }>
    ).map((g) => g.name);

  beforeAll(async () => {
    world = await startWebWorld(kind);
    org = (await seedTenants(world.ctx)).organizations.northwind!;
    const db = world.ctx.database.db;
    const daysAgo = (n: number) => new Date(world.clock.now().getTime() - n * 86_400_000);
    for (const [name, os, compliance, checkIn] of [
      ['FRONT-DESK', 'Windows', 'compliant', daysAgo(2)],
      ['STOCK-IPAD', 'iOS', 'noncompliant', daysAgo(50)],
      ['SPARE-LAPTOP', 'Windows', 'compliant', null],
      ['CEO-MAC', 'macOS', 'inGracePeriod', daysAgo(10)],
    ] as const)
      await db
        .insertInto('configurations')
        .values({ organization_id: org, name, operating_system: os, compliance_state: compliance, last_check_in_at: checkIn })
        .execute();
    await sql`insert into configurations (organization_id, name, operating_system, compliance_state, last_check_in_at)
      select ${org}::uuid, 'POOL-' || lpad(i::text, 2, '0'), 'Android', 'compliant', ${daysAgo(1)}::timestamptz
      from generate_series(1, 23) i`.execute(db);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('filters by compliance, operating system and stale check-in (never checked in counts as stale)', async () => {
    expect(await names('compliance=noncompliant')).toEqual(['STOCK-IPAD']);
    expect(await names('os=windows')).toEqual(['FRONT-DESK', 'SPARE-LAPTOP']);
    expect(await names('checkIn=stale')).toEqual(['SPARE-LAPTOP', 'STOCK-IPAD']);
    expect(await names('checkIn=stale&staleDays=7')).toEqual(['CEO-MAC', 'SPARE-LAPTOP', 'STOCK-IPAD']);
    expect((await call(world, 'read_only', 'GET', `/api/organizations/${org}/configurations?sort=price`)).statusCode).toBe(400);
  });

  it('sorts by last check-in and walks every configuration once by cursor', async () => {
    expect((await names('sort=lastCheckIn&order=asc&pageSize=2'))[0]).toBe('SPARE-LAPTOP');
    expect(await names('sort=lastCheckIn&order=desc&os=&compliance=inGracePeriod')).toEqual(['CEO-MAC']);
    const whole = await names('sort=operatingSystem&order=desc&pageSize=200');
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await call(
        world,
        'read_only',
        'GET',
        `/api/organizations/${org}/configurations?sort=operatingSystem&order=desc&pageSize=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const body = response.json() as { items: Array<{ name: string }>; nextCursor: string | null };
      walked.push(...body.items.map((g) => g.name));
      cursor = body.nextCursor;
    } while (cursor);
    expect(walked).toEqual(whole);
    expect(walked).toHaveLength(27);
    // A forged cursor (well-formed, but its id is no uuid) is a 400, not a database error.
    const forged = Buffer.from(JSON.stringify({ s: 'name:asc', k: 'x', i: 'not-a-uuid', d: 'a' })).toString('base64url');
    const refused = await call(world, 'read_only', 'GET', `/api/organizations/${org}/configurations?cursor=${forged}`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('bad_input');
  });

  it('exports the filtered list as CSV and shows the sort and filters on the page', async () => {
    const csv = await call(world, 'read_only', 'GET', `/organizations/${org}/configurations?format=csv&checkIn=stale&sort=name&order=desc`);
    expect(
      rowsOf(csv.body)
        .slice(1)
        .map((r) => r.split(',')[0]),
    ).toEqual(['STOCK-IPAD', 'SPARE-LAPTOP']);
    const page = await call(world, 'read_only', 'GET', `/organizations/${org}/configurations?os=Android&sort=name&order=desc&pageSize=10`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/aria-sort="descending">\s*<a href="[^"]*os=Android&amp;pageSize=10&amp;sort=name&amp;order=asc"/);
    expect(page.body).toContain('aria-label="Remove the filter OS: Android"');
    expect(page.body).toMatch(/href="[^"]*os=Android&amp;pageSize=10&amp;sort=name&amp;order=desc&amp;page=2&amp;cursor=[^"]+" rel="next"/);
    expect(page.body).not.toContain('FRONT-DESK');
  });
});
