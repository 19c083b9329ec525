// One search box: GET /api/search and the /search page, across organizations, tenants and their
// domains, contacts (name, any email, UPN, phone) and configurations (name, serial).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedContents, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

interface Result {
  kind: string;
  id: string;
  label: string;
  detail: string;
  url: string;
}

describe.each(DATABASE_KINDS)('search on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let obrien: string;
  const search = async (q: string, limit?: number) => {
    const response = await call(world, 'read_only', 'GET', `/api/search?q=${encodeURIComponent(q)}${limit ? `&limit=${limit}` : ''}`);
    expect(response.statusCode, q).toBe(200);
    return (response.json() as { results: Result[] }).results;
  };

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    await seedContents(world.ctx, seeded, world.clock.now());
    const db = world.ctx.database.db;
    const contact = await db
      .insertInto('contacts')
      .values({
        organization_id: seeded.organizations.contoso!,
        first_name: 'Seán',
        last_name: "O'Brien",
        phone: '+1 425 555 0177',
        microsoft_user_id: 'u-obrien',
        tenant_id: seeded.tenants.contoso!.id,
        microsoft_overlay: JSON.stringify({ userPrincipalName: 'sobrien@contoso.onmicrosoft.com' }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    obrien = contact.id;
    // Discovery stores a tenant's verified domains as names, the tenant sync as Graph domain objects.
    await db
      .updateTable('tenants')
      .set({ domains: JSON.stringify(['fresh-domain.example', 'fresh.onmicrosoft.com']) as never })
      .where('id', '=', seeded.tenants.fresh!.id)
      .execute();
    await db
      .insertInto('contact_emails')
      .values([
        { contact_id: obrien, email: 'sean.obrien@contoso.example', is_primary: true },
        { contact_id: obrien, email: 'helpdesk-lead@contoso.example', is_primary: false },
      ])
      .execute();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('finds a contact by name whatever the case, accents and apostrophes, and links to the overlay', async () => {
    for (const q of ['obrien', "O'BRIEN", 'sean', 'Seán O’Brien']) {
      const [first] = await search(q);
      expect(first, q).toMatchObject({
        kind: 'contact',
        id: obrien,
        label: "Seán O'Brien",
        url: `/tenants/${seeded.tenants.contoso!.id}/users/u-obrien`,
      });
      expect(first!.detail).toBe('sean.obrien@contoso.example · Contoso Ltd');
    }
  });

  it('finds a contact by any email, by user principal name and by phone', async () => {
    expect((await search('helpdesk-lead')).map((r) => r.id)).toContain(obrien);
    expect((await search('sobrien@contoso.onmicrosoft')).map((r) => r.id)).toContain(obrien);
    expect((await search('555 0177')).map((r) => r.id)).toContain(obrien);
    // A contact without a Microsoft user links to its organization's contacts, filtered to it.
    const [awilber] = await search('awilber@contoso.example');
    expect(awilber).toMatchObject({
      kind: 'contact',
      label: 'Alex Wilber',
      url: `/organizations/${seeded.organizations.contoso}/contacts?search=awilber%40contoso.example`,
    });
  });

  it('finds organizations, tenants and their domains by prefix and despite a typo', async () => {
    const contoso = await search('contso');
    expect(contoso.map((r) => `${r.kind}:${r.label}`)).toEqual(
      expect.arrayContaining(['organization:Contoso Ltd', 'tenant:Contoso, Ltd.']),
    );
    const byDomain = await search('tailspin.exa');
    expect(byDomain[0]).toMatchObject({ kind: 'tenant', label: 'Tailspin Toys', url: `/tenants/${seeded.tenants.tailspin!.id}/contacts` });
    expect((await search('northw')).map((r) => r.label)).toEqual(expect.arrayContaining(['Northwind Traders', 'Northwind Traders Inc.']));
    expect((await search('fresh-domain.example'))[0]).toMatchObject({ kind: 'tenant', label: 'Fresh Tenant' });
  });

  it('finds configurations by name and serial number', async () => {
    const [bySerial] = await search('sn123');
    expect(bySerial).toMatchObject({
      kind: 'configuration',
      label: 'ADELE-LAPTOP',
      detail: 'serial SN123 · Contoso Ltd',
      url: `/organizations/${seeded.organizations.contoso}/configurations?search=SN123`,
    });
    expect((await search('adele-lap'))[0]).toMatchObject({ kind: 'configuration' });
  });

  it('keeps to the limit, finds nothing for one letter or unmatched text, treats % as text', async () => {
    expect(await search('o', 5)).toEqual([]);
    expect(await search('zzqqxx')).toEqual([]);
    expect(await search('%%')).toEqual([]);
    expect((await search('contoso', 2)).length).toBe(2);
    expect((await call(world, 'read_only', 'GET', '/api/search?q=x&limit=0')).statusCode).toBe(400);
    expect((await call(world, 'read_only', 'GET', '/api/search')).statusCode).toBe(400);
    expect((await call(world, null, 'GET', '/api/search?q=contoso')).statusCode).toBe(401);
  });

  it('answers the search box of every page with the results, names escaped', async () => {
    const home = await call(world, 'read_only', 'GET', '/');
    expect(home.body).toContain('<form class="search" method="get" action="/search" role="search">');
    const page = await call(world, 'read_only', 'GET', `/search?q=${encodeURIComponent('<script>')}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).toContain('&lt;script&gt;');
    const results = await call(world, 'read_only', 'GET', '/search?q=obrien');
    expect(results.body).toContain(`href="/tenants/${seeded.tenants.contoso!.id}/users/u-obrien"`);
    expect(results.body).toContain('value="obrien"');
  });

  it('documents the new routes in the OpenAPI document', async () => {
    const paths = Object.keys((await call(world, 'read_only', 'GET', '/api/openapi.json')).json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/search',
        '/api/attention',
        '/api/organizations',
        '/api/organizations/{id}',
        '/api/organizations/{id}/contacts',
        '/api/contacts/{id}',
        '/api/configurations/{id}',
      ]),
    );
  });
});
