// Every list endpoint and list page answers CSV (?format=csv or Accept: text/csv): the same
// filters, every page, a header row, UTF-8 with a BOM, formula-injection-safe cells.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedContents, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

const rowsOf = (body: string) =>
  body
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean);

describe.each(DATABASE_KINDS)('CSV export on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    await seedContents(world.ctx, seeded, world.clock.now());
    const db = world.ctx.database.db;
    // More contacts than one export page (500), one with a name a spreadsheet would run.
    await sql`insert into contacts (organization_id, first_name, last_name) select ${seeded.organizations.northwind}::uuid, 'Bulk',
      'Contact ' || lpad(i::text, 4, '0') from generate_series(1, 1203) i`.execute(db);
    await db
      .insertInto('contacts')
      .values({ organization_id: seeded.organizations.northwind!, first_name: '=HYPERLINK("http://evil.example")', last_name: 'Zed' })
      .execute();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('streams every contact of an organization with a BOM, a header row and safe cells', async () => {
    const response = await call(world, 'read_only', 'GET', `/api/organizations/${seeded.organizations.northwind}/contacts?format=csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(response.body.startsWith('\uFEFFFirst name,Last name,Title,Emails')).toBe(true);
    const rows = rowsOf(response.body);
    expect(rows).toHaveLength(1 + 1203 + 2);
    expect(rows.some((r) => r.startsWith(`"'=HYPERLINK(""http://evil.example"")",Zed,`))).toBe(true);
    expect(rows.some((r) => r.startsWith('=') || r.includes(',=') || r.includes(',"='))).toBe(false);
  });

  it('keeps the filters of the list, and answers Accept: text/csv', async () => {
    const suggested = await world.app.inject({
      method: 'GET',
      url: '/api/tenants?state=suggested',
      headers: { cookie: world.as.read_only.cookie, accept: 'text/csv' },
    });
    expect(suggested.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = rowsOf(suggested.body);
    expect(rows[0]).toBe(
      'Tenant,Microsoft tenant id,Default domain,Integration,State,Rule,Score,Organization,Suggestions,Health,Health reason,Last ' +
        'sync,docsync id',
    );
    expect(
      rows
        .slice(1)
        .map((r) => r.split(',')[0])
        .sort(),
    ).toEqual(['Northwind Traders Inc.', 'Tailspin Toys']);
    const searched = rowsOf(
      (
        await call(
          world,
          'read_only',
          'GET',
          `/api/organizations/${seeded.organizations.northwind}/contacts?format=csv&search=contact%2000`,
        )
      ).body,
    );
    expect(searched).toHaveLength(1 + 99);
    const json = await call(world, 'read_only', 'GET', '/api/tenants?state=suggested');
    expect(json.headers['content-type']).toContain('application/json');
  });

  it('exports the list pages and the other list endpoints', async () => {
    const contoso = seeded.tenants.contoso!.id;
    const cases: Array<[string, string]> = [
      ['/tenants?format=csv&state=matched', 'Contoso, Ltd.'],
      [`/tenants/${contoso}/contacts?format=csv&decision=review`, 'Alex Wilber'],
      [`/api/tenants/${contoso}/users?format=csv`, 'AdeleV@contoso.example'],
      [`/api/tenants/${contoso}/devices?format=csv`, 'ADELE-LAPTOP'],
      [`/tenants/${contoso}/configurations?format=csv`, 'SN123'],
      ['/api/sync-runs?format=csv', 'Fabrikam Partners GDAP'],
      ['/sync-runs?format=csv', 'Fabrikam Partners GDAP'],
      ['/organizations?format=csv&sort=-contacts', 'Northwind Traders'],
      ['/api/organizations?format=csv', 'Contoso Ltd'],
      [`/organizations/${seeded.organizations.contoso}/configurations?format=csv`, 'ADELE-LAPTOP'],
      ['/api/attention?format=csv', 'What to do'],
      ['/?format=csv&severity=info', 'has not been synced yet'],
    ];
    for (const [url, expected] of cases) {
      const response = await call(world, 'read_only', 'GET', url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toBe('text/csv; charset=utf-8');
      expect(response.body.startsWith('\uFEFF'), url).toBe(true);
      expect(response.body, url).toContain(expected);
    }
    const page = await call(world, 'read_only', 'GET', '/organizations');
    expect(page.body).toContain('href="/organizations?sort=name&amp;format=csv"');
  });

  it('answers an unknown organization or a bad filter with the JSON error, not an empty file', async () => {
    const missing = await call(world, 'read_only', 'GET', '/api/organizations/00000000-0000-4000-8000-000000000000/contacts?format=csv');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    expect((await call(world, 'read_only', 'GET', '/api/tenants?format=xlsx')).statusCode).toBe(400);
    expect((await call(world, null, 'GET', '/api/tenants?format=csv')).statusCode).toBe(401);
  });
});
