// A tenant's user and device lists (issue 15: filters a technician expects and sortable columns;
// issue 18: keyset paging): the page, the JSON API and the CSV export read the same query
// parameters; a cursor walks the list in its sort order without skipping or repeating a row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedContents, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

const BULK_USERS = 57;
const rowsOf = (body: string) =>
  body
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean);

describe.each(DATABASE_KINDS)('tenant user and device lists on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let tenant: string;
  const api = async (url: string) => {
    const response = await call(world, 'read_only', 'GET', url);
    return { status: response.statusCode, body: response.json() as Record<string, unknown> & { items: Array<Record<string, unknown>> } };
  };

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    await seedContents(world.ctx, seeded, world.clock.now());
    tenant = seeded.tenants.contoso!.id;
    const db = world.ctx.database.db;
    const daysAgo = (n: number) => new Date(world.clock.now().getTime() - n * 86_400_000).toISOString();
    // Enabled users who signed in 3 days ago (active); the even ones hold a licence. Two share a
    // display name, so the id tiebreaker decides their order.
    await sql`insert into ms_users (tenant_id, user_id, data, content_hash)
      select ${tenant}::uuid, 'u-bulk-' || lpad(i::text, 3, '0'),
        jsonb_build_object('displayName', case when i <= 2 then 'Bulk Twin' else 'Bulk User ' || lpad(i::text, 3, '0') end,
          'userPrincipalName', 'bulk' || lpad(i::text, 3, '0') || '@contoso.example', 'accountEnabled', true,
          'signInActivity', jsonb_build_object('lastSuccessfulSignInDateTime', ${daysAgo(3)}::text),
          'assignedLicenses', case when i % 2 = 0 then '[{"skuId":"06ebc4ee-1bb5-47dd-8120-11324bc54e06"}]'::jsonb else '[]'::jsonb end),
        'bulk' || i
      from generate_series(1, ${BULK_USERS}::int) i`.execute(db);
    const device = (id: string, data: Record<string, unknown>) =>
      db
        .insertInto('ms_managed_devices')
        .values({ tenant_id: tenant, device_id: id, data: JSON.stringify({ id, ...data }) as never, content_hash: id })
        .execute();
    await device('dev-ipad', {
      deviceName: 'RECEPTION-IPAD',
      serialNumber: 'DMPX1',
      operatingSystem: 'iOS',
      osVersion: '17.1',
      complianceState: 'noncompliant',
      lastSyncDateTime: daysAgo(40),
    });
    await device('dev-phone', {
      deviceName: 'WAREHOUSE-PHONE',
      serialNumber: 'R58M',
      operatingSystem: 'Android',
      complianceState: 'inGracePeriod',
      lastSyncDateTime: '0001-01-01T00:00:00Z',
    });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('filters users by account, licence and inactivity, and counts decisions within the filters', async () => {
    const disabled = await api(`/api/tenants/${tenant}/users?account=disabled`);
    expect(disabled.body.items.map((u) => u.displayName)).toEqual(['Alex Wilber']);
    expect(disabled.body.total).toBe(1);
    expect(disabled.body.counts).toEqual({ review: 1 });

    const unlicensed = await api(`/api/tenants/${tenant}/users?license=unlicensed&pageSize=200`);
    expect(unlicensed.body.total).toBe(1 + Math.ceil(BULK_USERS / 2));
    expect(unlicensed.body.items.some((u) => u.displayName === 'Adele Vance')).toBe(false);

    // The hostile-named user: enabled, never signed in, created at no known date. Alex is disabled, not inactive.
    const inactive = await api(`/api/tenants/${tenant}/users?activity=inactive`);
    expect(inactive.body.items.map((u) => u.userId)).toEqual(['u-hostile']);
    const active = await api(`/api/tenants/${tenant}/users?activity=active&license=licensed&pageSize=200`);
    expect(active.body.total).toBe(1 + Math.floor(BULK_USERS / 2));
    expect(active.body.items.map((u) => u.userId)).toContain('u-adele');

    const everyone = await api(`/api/tenants/${tenant}/users?account=&license=&activity=`);
    expect(everyone.body.total).toBe(3 + BULK_USERS);
  });

  it('sorts users by a column in either order, and refuses an unknown sort field in the error shape', async () => {
    const byUpnDesc = await api(`/api/tenants/${tenant}/users?sort=userPrincipalName&order=desc&pageSize=3`);
    expect(byUpnDesc.body.items.map((u) => u.userPrincipalName)).toEqual([
      'evil@contoso.example',
      'bulk057@contoso.example',
      'bulk056@contoso.example',
    ]);
    const disabledFirst = await api(`/api/tenants/${tenant}/users?sort=account&order=asc&pageSize=1`);
    expect(disabledFirst.body.items[0]!.displayName).toBe('Alex Wilber');

    const unknown = await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/users?sort=password`);
    expect(unknown.statusCode).toBe(400);
    const error = unknown.json().error;
    expect(error.code).toBe('validation_failed');
    expect(typeof error.message).toBe('string');
    expect(typeof error.requestId).toBe('string');
    expect((await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/devices?order=sideways`)).statusCode).toBe(400);
  });

  it('walks every user once by nextCursor, in the order of one long page, and back by prevCursor', async () => {
    const sortQuery = 'sort=name&order=desc&license=licensed';
    const whole = await api(`/api/tenants/${tenant}/users?${sortQuery}&pageSize=200`);
    const expected = whole.body.items.map((u) => u.userId);
    expect(expected.length).toBeGreaterThan(20);
    const pages: string[][] = [];
    const cursors: Array<string | null> = [];
    let cursor: string | null = null;
    do {
      const page = await api(`/api/tenants/${tenant}/users?${sortQuery}&pageSize=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      pages.push(page.body.items.map((u) => u.userId as string));
      cursors.push(page.body.prevCursor as string | null);
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(pages.flat()).toEqual(expected);
    expect(cursors[0]).toBeNull();
    // From the third page, the previous page is the second one again.
    const back = await api(`/api/tenants/${tenant}/users?${sortQuery}&pageSize=7&cursor=${cursors[2]}`);
    expect(back.body.items.map((u) => u.userId)).toEqual(pages[1]);
    // The same rows by page=N (offset), the documented contract.
    const third = await api(`/api/tenants/${tenant}/users?${sortQuery}&pageSize=7&page=3`);
    expect(third.body.items.map((u) => u.userId)).toEqual(pages[2]);

    const otherSort = await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/users?sort=rule&pageSize=7&cursor=${cursors[2]}`);
    expect(otherSort.statusCode).toBe(400);
    expect(otherSort.json().error.code).toBe('bad_input');
    const forged = await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/users?cursor=not-a-cursor`);
    expect(forged.statusCode).toBe(400);
  });

  it('exports the filtered, sorted users as CSV, every page of them', async () => {
    const csv = await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/users?format=csv&license=licensed&sort=name&order=desc`);
    expect(csv.statusCode).toBe(200);
    const rows = rowsOf(csv.body).slice(1);
    const licensed = await api(`/api/tenants/${tenant}/users?license=licensed&sort=name&order=desc&pageSize=200`);
    expect(rows).toHaveLength(licensed.body.total as number);
    expect(rows.map((r) => r.split(',').at(-1))).toEqual(licensed.body.items.map((u) => u.userId));
    const page = await call(world, 'read_only', 'GET', `/tenants/${tenant}/contacts?format=csv&account=disabled`);
    expect(rowsOf(page.body).slice(1)).toHaveLength(1);
    expect(rowsOf(page.body)[1]).toContain('Alex Wilber');
  });

  it('filters devices by compliance, operating system and stale check-in, and sorts them by check-in', async () => {
    const names = async (query: string) => (await api(`/api/tenants/${tenant}/devices?${query}`)).body.items.map((d) => d.name);
    expect(await names('compliance=noncompliant')).toEqual(['RECEPTION-IPAD']);
    expect(await names('os=ios')).toEqual(['RECEPTION-IPAD']);
    // Stale: no check-in for 30 days (the default) or never; the laptop checked in yesterday.
    expect(await names('checkIn=stale')).toEqual(['RECEPTION-IPAD', 'WAREHOUSE-PHONE']);
    expect(await names('checkIn=stale&staleDays=60')).toEqual(['WAREHOUSE-PHONE']);
    expect(await names('checkIn=recent')).toEqual(['ADELE-LAPTOP']);
    expect(await names('sort=lastCheckIn&order=desc')).toEqual(['ADELE-LAPTOP', 'RECEPTION-IPAD', 'WAREHOUSE-PHONE']);
    const csv = await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/devices?format=csv&checkIn=stale&sort=name&order=desc`);
    expect(
      rowsOf(csv.body)
        .slice(1)
        .map((r) => r.split(',')[0]),
    ).toEqual(['WAREHOUSE-PHONE', 'RECEPTION-IPAD']);
    expect((await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/devices?compliance=purple`)).statusCode).toBe(400);
  });

  it('shows the sort on the header, keeps the filters in its links, and lists the active filters to clear', async () => {
    const page = await call(world, 'read_only', 'GET', `/tenants/${tenant}/contacts?account=enabled&license=licensed&sort=name&order=desc`);
    expect(page.statusCode).toBe(200);
    const body = page.body;
    expect(body).toMatch(/<th scope="col"\s+aria-sort="descending">\s*<a href="[^"]*sort=name&amp;order=asc"/);
    expect(body).toContain(`href="/tenants/${tenant}/contacts?account=enabled&amp;license=licensed&amp;sort=account&amp;order=asc"`);
    expect(body).toContain('Filtered by');
    expect(body).toContain(
      `href="/tenants/${tenant}/contacts?license=licensed&amp;sort=name&amp;order=desc" aria-label="Remove the filter Account: enabled"`,
    );
    expect(body).toContain(`href="/tenants/${tenant}/contacts?sort=name&amp;order=desc">Clear all filters`);
    expect(body).toContain('format=csv');
    expect(body).toMatch(/href="[^"]*account=enabled&amp;license=licensed&amp;sort=name&amp;order=desc&amp;format=csv"/);
    const paged = await call(world, 'read_only', 'GET', `/tenants/${tenant}/contacts?license=licensed&pageSize=10`);
    const next = /<a href="([^"]+)" rel="next">/.exec(paged.body)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toMatch(new RegExp(`^/tenants/${tenant}/contacts\\?license=licensed&pageSize=10&sort=name&order=asc&page=2&cursor=`));
    const second = await call(world, 'read_only', 'GET', next!);
    expect(second.body).toContain('Page 2 of 3');
    expect(second.body).toMatch(/<a href="[^"]*" rel="prev">/);
    const devices = await call(world, 'read_only', 'GET', `/tenants/${tenant}/configurations?checkIn=stale&sort=lastCheckIn&order=desc`);
    expect(devices.body).toContain('RECEPTION-IPAD');
    expect(devices.body).not.toContain('ADELE-LAPTOP');
    expect(devices.body).toMatch(/aria-sort="descending">\s*<a href="[^"]*checkIn=stale&amp;sort=lastCheckIn&amp;order=asc"/);
  });
});
