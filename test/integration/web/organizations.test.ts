// Organization pages and their API: the list (search, sort, counts), one organization's
// documentation, contacts and configurations added and edited by hand — Microsoft's fields
// read-only while linked, docsync's own fields (notes, phone extension, tags) kept by every sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { syncTenant } from '../../../src/sync/tenant-sync.ts';
import { enqueueTenantRun, finishRun } from '../../../src/sync/runs.ts';
import type { Tenant } from '../../../src/db/schema.ts';
import { contosoData, fakeSource, type FakeTenantData } from '../sync/records.ts';
import { insertIntegration, insertTenant } from '../sync/fixtures.ts';
import { call, seedContents, seedTenants, startWebWorld, type Seeded, type SeededContents, type WebWorld } from './support.ts';

describe.each(DATABASE_KINDS)('organizations on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let contents: SeededContents;
  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    contents = await seedContents(world.ctx, seeded, world.clock.now());
    await world.ctx.database.db
      .insertInto('organizations')
      .values({ name: "Seán O'Brien Dental", domains: ['obrien-dental.example'] })
      .execute();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('lists organizations with tenant, contact, configuration and review counts, sorted and searched', async () => {
    const response = await call(world, 'read_only', 'GET', '/api/organizations?sort=-contacts&limit=2');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.total).toBe(4);
    expect(body.items).toHaveLength(2);
    expect(body.items[0]).toMatchObject({
      id: seeded.organizations.contoso,
      name: 'Contoso Ltd',
      tenantCount: 1,
      contactCount: 3,
      configurationCount: 1,
      reviewCount: 1,
      health: 'unknown',
    });
    expect(body.items[1]).toMatchObject({ id: seeded.organizations.northwind, contactCount: 1, tenantCount: 0, health: null });
    // Case, accents and apostrophes do not matter; domains count.
    for (const search of ['obrien', 'SEAN', 'dental.exa']) {
      const found = (await call(world, 'read_only', 'GET', `/api/organizations?search=${encodeURIComponent(search)}`)).json();
      expect(
        found.items.map((o: { name: string }) => o.name),
        search,
      ).toEqual(["Seán O'Brien Dental"]);
    }
    const byName = (await call(world, 'read_only', 'GET', '/api/organizations?sort=-name'))
      .json()
      .items.map((o: { name: string }) => o.name);
    expect(byName[0]).toBe("Seán O'Brien Dental");
    expect((await call(world, 'read_only', 'GET', '/api/organizations?sort=size')).statusCode).toBe(400);
    expect((await call(world, 'read_only', 'GET', '/api/organizations?search=%25')).json().total).toBe(0);
  });

  it("shows one organization's documentation: tenants with health, domains, licenses, review queue, contacts with overlay", async () => {
    const response = await call(world, 'read_only', 'GET', `/api/organizations/${seeded.organizations.contoso}`);
    expect(response.statusCode).toBe(200);
    const d = response.json();
    expect(d.tenants).toEqual([
      expect.objectContaining({
        id: seeded.tenants.contoso!.id,
        displayName: 'Contoso, Ltd.',
        integrationName: 'Fabrikam Partners GDAP',
        problems: [expect.objectContaining({ code: 'consent_missing' })],
      }),
    ]);
    expect(d.domains).toEqual(['contoso.example']);
    expect(d.counts).toEqual({ contacts: 3, contactsInMicrosoft: 0, configurations: 1, reviews: 1 });
    expect(d.reviews).toEqual([
      expect.objectContaining({
        kind: 'contact',
        sourceId: contents.users.alex,
        label: 'Alex Wilber',
        candidates: 2,
        url: `/tenants/${seeded.tenants.contoso!.id}/users/u-alex`,
      }),
    ]);
    expect(d.licenses.find((l: { name: string }) => l.name === 'Microsoft 365 E5')).toMatchObject({
      total: 25,
      assigned: 14,
      available: 11,
    });
    expect(d.contacts.total).toBe(3);
    expect(d.configurations.items[0]).toMatchObject({
      name: 'ADELE-LAPTOP',
      serialNumber: 'SN123',
      linkedToMicrosoft: true,
      contact: { name: 'Adele Vance' },
    });
    expect((await call(world, 'read_only', 'GET', '/api/organizations/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    const contacts = (
      await call(world, 'read_only', 'GET', `/api/organizations/${seeded.organizations.contoso}/contacts?search=awilber`)
    ).json();
    expect(contacts.items.map((c: { emails: string[] }) => c.emails)).toEqual([['awilber@contoso.example']]);
  });

  it('adds and edits a contact by hand (audited); read-only accounts cannot', async () => {
    const created = await call(world, 'technician', 'POST', `/api/organizations/${seeded.organizations.northwind}/contacts`, {
      firstName: 'Zoë',
      lastName: 'Ng',
      emails: ['zoe@northwind.example'],
      phoneExtension: '214',
      tags: ['vip', 'vip', 'billing'],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      firstName: 'Zoë',
      emails: ['zoe@northwind.example'],
      tags: ['billing', 'vip'],
      linkedToMicrosoft: false,
    });
    const id = created.json().id;
    const edited = await call(world, 'technician', 'PATCH', `/api/contacts/${id}`, { title: 'Office manager', notes: 'Call before 10.' });
    expect(edited.json()).toMatchObject({ title: 'Office manager', notes: 'Call before 10.', phoneExtension: '214' });
    const audit = await world.ctx.database.db.selectFrom('audit_log').selectAll().where('subject_id', '=', id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['contact.create', 'contact.update']);
    expect((await call(world, 'read_only', 'PATCH', `/api/contacts/${id}`, { notes: 'x' })).statusCode).toBe(403);
    expect((await call(world, 'technician', 'PATCH', `/api/contacts/${id}`, { emails: ['not an address'] })).statusCode).toBe(400);
    expect((await call(world, 'technician', 'PATCH', `/api/contacts/${id}`, {})).statusCode).toBe(400);
    expect(
      (await call(world, 'technician', 'POST', `/api/organizations/${seeded.organizations.northwind}/contacts`, { notes: 'nameless' }))
        .statusCode,
    ).toBe(400);
    const config = await call(world, 'technician', 'POST', `/api/organizations/${seeded.organizations.northwind}/configurations`, {
      name: 'FRONT-DESK-PRINTER',
      serialNumber: 'PRN-1',
      tags: ['printer'],
    });
    expect(config.statusCode).toBe(201);
    expect(
      (await call(world, 'technician', 'PATCH', `/api/configurations/${config.json().id}`, { model: 'LaserJet 400' })).json(),
    ).toMatchObject({ model: 'LaserJet 400', tags: ['printer'] });
  });

  it('renders the list, overview, contacts and configurations pages with names escaped', async () => {
    const list = await call(world, 'read_only', 'GET', '/organizations?search=contoso');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="/organizations/${seeded.organizations.contoso}"`);
    expect((await call(world, 'read_only', 'GET', '/organizations')).body).not.toContain('<script>alert(1)</script>');
    const overview = await call(world, 'read_only', 'GET', `/organizations/${seeded.organizations.contoso}`);
    expect(overview.body).toContain('Review queue');
    expect(overview.body).toContain('Alex Wilber');
    const contactsPage = await call(world, 'technician', 'GET', `/organizations/${seeded.organizations.contoso}/contacts`);
    expect(contactsPage.body).toContain('Add a contact');
    expect((await call(world, 'read_only', 'GET', `/organizations/${seeded.organizations.contoso}/contacts`)).body).not.toContain(
      'Add a contact',
    );
    expect((await call(world, 'read_only', 'GET', `/organizations/${seeded.organizations.contoso}/configurations`)).body).toContain(
      'ADELE-LAPTOP',
    );
    expect((await call(world, 'read_only', 'GET', '/organizations?sort=bogus')).statusCode).toBe(400);
  });

  describe('a contact linked to a Microsoft user', () => {
    let tenant: Tenant;
    let organizationId: string;
    let data: FakeTenantData;
    const sync = async () => {
      const db = world.ctx.database.db;
      const fresh = await db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
      const integration = await db.selectFrom('integrations').selectAll().where('id', '=', fresh.integration_id).executeTakeFirstOrThrow();
      const now = world.clock.now();
      const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenant.id, trigger: 'cli', now });
      const result = await syncTenant(
        { db, log: world.ctx.log, clock: world.clock, config: world.ctx.config },
        { runId, tenant: fresh, integration, source: fakeSource(data), fullListing: true, rederive: true },
      );
      await finishRun(db, runId, {
        status: result.status,
        now,
        counts: { ...result.writes, flagged: result.flagged, failed: 0, graphRequests: 0, throttled: 0 },
      });
    };
    const adele = async () => {
      const contacts = (await call(world, 'read_only', 'GET', `/api/organizations/${organizationId}/contacts?search=adelev`)).json();
      return contacts.items[0] as {
        id: string;
        title: string | null;
        phone: string | null;
        notes: string | null;
        phoneExtension: string | null;
        tags: string[];
        linkedToMicrosoft: boolean;
      };
    };

    beforeAll(async () => {
      const db = world.ctx.database.db;
      const integration = await insertIntegration(db);
      tenant = await insertTenant(db, integration.id, { display_name: 'Contoso (synced)' });
      organizationId = (
        await db
          .insertInto('organizations')
          .values({ name: 'Contoso Synced', domains: ['contoso.com'] })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      await db
        .insertInto('match_decisions')
        .values({
          kind: 'organization',
          tenant_id: tenant.id,
          source_id: tenant.microsoft_tenant_id,
          state: 'matched',
          target_id: organizationId,
          rule: 'technician',
          decided_by_technician: true,
        })
        .execute();
      data = contosoData();
      await sync();
    });

    it('refuses edits of the fields Microsoft fills (409), keeps docsync-only fields through the next sync', async () => {
      const before = await adele();
      expect(before).toMatchObject({ linkedToMicrosoft: true, title: 'Retail Manager' });
      const refused = await call(world, 'technician', 'PATCH', `/api/contacts/${before.id}`, { title: 'CEO', notes: 'x' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.message).toContain('title of this contact comes from Microsoft');
      expect((await adele()).notes).toBeNull();

      const saved = await call(world, 'technician', 'PATCH', `/api/contacts/${before.id}`, {
        notes: 'Prefers Teams.',
        phoneExtension: '109',
        tags: ['vip'],
      });
      expect(saved.statusCode).toBe(200);
      // Microsoft changes her title and phone; the sync brings those, and leaves docsync's own fields.
      const user = data.users.find((u) => u.userPrincipalName === 'AdeleV@contoso.com')!;
      user.jobTitle = 'Store Director';
      user.businessPhones = ['+1 425 555 0199'];
      await sync();
      expect(await adele()).toMatchObject({
        title: 'Store Director',
        phone: '+1 425 555 0199',
        notes: 'Prefers Teams.',
        phoneExtension: '109',
        tags: ['vip'],
      });
    });
  });
});
