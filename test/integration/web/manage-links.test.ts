// Issue 15, "links into Microsoft": the pages link each tenant, user and device into Microsoft's admin
// portals of the configured cloud (the test context's is the global one), and put beside a problem the
// link to where it is fixed: the admin consent link where consent is missing (as the home page does),
// the integration's permissions, the customer's relationships in Partner Center.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedContents, seedTenants, startWebWorld, type Seeded, type SeededContents, type WebWorld } from './support.ts';

describe.each(DATABASE_KINDS)('links into Microsoft on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let contents: SeededContents;
  let runId: string;

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    contents = await seedContents(world.ctx, seeded, world.clock.now());
    const db = world.ctx.database.db;
    const contoso = seeded.tenants.contoso!;
    await db
      .updateTable('tenants')
      .set({ health: 'failing', health_reason: 'consent missing', last_sync_at: world.clock.now() })
      .where('id', '=', contoso.id)
      .execute();
    runId = (
      await db
        .insertInto('sync_runs')
        .values({
          integration_id: seeded.integrationId,
          tenant_id: contoso.id,
          trigger: 'manual',
          status: 'failed',
          started_at: world.clock.now(),
          finished_at: world.clock.now(),
          failed: 1,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await db
      .insertInto('sync_log')
      .values([
        {
          run_id: runId,
          tenant_id: contoso.id,
          level: 'error',
          code: 'consent_missing',
          message: "docsync's app is not consented in tenant Contoso",
          action: 'an administrator of the tenant opens the admin consent link',
        },
        {
          run_id: runId,
          tenant_id: contoso.id,
          level: 'warning',
          code: 'permission_missing',
          message: 'docsync may not read users in tenant Contoso (Forbidden)',
          action: "give the GDAP service account's security group the role this needs",
        },
      ])
      .execute();
  });
  afterAll(async () => {
    await world?.close();
  });

  const consentLink = () =>
    `href="https://login.microsoftonline.com/${seeded.tenants.contoso!.microsoftTenantId}/adminconsent?client_id=client-id"`;

  it("gives a tenant's pages a Manage in Microsoft menu, and the admin consent link beside missing consent", async () => {
    const contoso = seeded.tenants.contoso!;
    const body = (await call(world, 'technician', 'GET', `/tenants/${contoso.id}/contacts`)).body;
    expect(body).toContain('<summary>Manage in Microsoft');
    expect(body).toContain(
      `href="https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID=${contoso.microsoftTenantId}&amp;CSDEST=o365admincenter"`,
    );
    expect(body).toContain(`href="https://entra.microsoft.com/${contoso.microsoftTenantId}"`);
    expect(body).toContain(consentLink());
  });

  it("puts each user's Entra and Intune profile and docsync's actions in the row's one menu", async () => {
    const contoso = seeded.tenants.contoso!;
    const users = (await call(world, 'technician', 'GET', `/api/tenants/${contoso.id}/users?pageSize=200`)).json<{
      items: Array<{ userId: string }>;
    }>().items;
    expect(users.length).toBeGreaterThan(0);
    const technician = (await call(world, 'technician', 'GET', `/tenants/${contoso.id}/contacts`)).body;
    const readOnly = (await call(world, 'read_only', 'GET', `/tenants/${contoso.id}/contacts`)).body;
    const menus = technician.match(/<td class="row-actions">/g) ?? [];
    expect(menus).toHaveLength(users.length);
    for (const u of users.filter((x) => /^[0-9a-f-]{36}$/.test(x.userId))) {
      expect(technician).toContain(
        `https://entra.microsoft.com/${contoso.microsoftTenantId}/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${u.userId}`,
      );
    }
    expect(technician).toContain(`/tenants/${contoso.id}/actions/new?kind=offboard&amp;userId=`);
    // A read-only account gets the links into Microsoft, not docsync's actions.
    expect(readOnly).not.toContain('kind=offboard');
  });

  it('links the same consent fix on the integration page and beside the sync-log line', async () => {
    const integration = (await call(world, 'technician', 'GET', `/integrations/${seeded.integrationId}`)).body;
    expect(integration).toContain(consentLink());
    const log = (await call(world, 'technician', 'GET', `/sync-runs/${runId}`)).body;
    expect(log).toContain(consentLink());
    expect(log).toContain(`href="/integrations/${seeded.integrationId}#microsoft-setup"`);
    expect(log).toContain(
      `href="https://partner.microsoft.com/dashboard/commerce2/customers/${seeded.tenants.contoso!.microsoftTenantId}/adminrelationships"`,
    );
  });

  it("lists each tenant of an organization with its menu into Microsoft's portals", async () => {
    const body = (await call(world, 'technician', 'GET', `/organizations/${seeded.organizations.contoso}`)).body;
    expect(body).toContain(`href="https://intune.microsoft.com/${seeded.tenants.contoso!.microsoftTenantId}"`);
    expect(contents).toBeDefined();
  });

  // A browser without script posts the decision form: same services as the API, back to the row (303).
  const postForm = (role: 'technician' | 'read_only', url: string, fields: Record<string, string>, csrf = true) =>
    world.app.inject({
      method: 'POST',
      url,
      headers: { cookie: world.as[role].cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...fields, ...(csrf ? { _csrf: world.as[role].csrf } : {}) }).toString(),
    });

  it('accepts a suggestion with a plain form post and goes back to the row', async () => {
    const northwind = seeded.tenants.northwind!;
    const page = (await call(world, 'technician', 'GET', '/tenants?state=suggested')).body;
    expect(page).toContain(`<form class="actions" method="post" action="/tenants/${northwind.id}/decide">`);
    expect(page).toContain(`<td id="tenant-${northwind.id}">`);
    const refused = await postForm('technician', `/tenants/${northwind.id}/decide`, { decision: 'accept' }, false);
    expect(refused.statusCode).toBe(403);
    const readOnly = await postForm('read_only', `/tenants/${northwind.id}/decide`, { decision: 'accept' });
    expect(readOnly.statusCode).toBe(403);
    const response = await postForm('technician', `/tenants/${northwind.id}/decide`, {
      decision: 'accept',
      organizationId: seeded.organizations.northwind!,
      back: '/tenants?state=suggested',
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/tenants?state=suggested#tenant-${northwind.id}`);
    const tenants = (await call(world, 'technician', 'GET', '/api/tenants?pageSize=200')).json<{
      items: Array<{ id: string; state: string; organizationId: string | null }>;
    }>().items;
    expect(tenants.find((t) => t.id === northwind.id)).toMatchObject({ state: 'matched', organizationId: seeded.organizations.northwind });
    // Never back to another site.
    const undo = await postForm('technician', `/tenants/${northwind.id}/decide`, { decision: 'undo', back: '//evil.example/x' });
    expect(undo.headers.location).toBe(`/tenants#tenant-${northwind.id}`);
  });

  it('excludes a user with a plain form post; a match without a contact is refused with a 400 and changes nothing', async () => {
    const contoso = seeded.tenants.contoso!;
    const users = (await call(world, 'technician', 'GET', `/api/tenants/${contoso.id}/users?pageSize=200`)).json<{
      items: Array<{ userId: string; decision: string }>;
    }>().items;
    const user = users.find((u) => u.decision !== 'excluded')!;
    const url = `/tenants/${contoso.id}/users/${encodeURIComponent(user.userId)}/decide`;
    const bad = await postForm('technician', url, { action: 'match', contactId: '' });
    expect(bad.statusCode).toBe(400);
    const after = await call(world, 'technician', 'GET', `/api/tenants/${contoso.id}/users/${encodeURIComponent(user.userId)}`);
    expect(after.json<{ decision: string }>().decision).toBe(user.decision);
    const response = await postForm('technician', url, { action: 'exclude', back: `/tenants/${contoso.id}/contacts` });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toMatch(new RegExp(`^/tenants/${contoso.id}/contacts#user-`));
    const excluded = await call(world, 'technician', 'GET', `/api/tenants/${contoso.id}/users/${encodeURIComponent(user.userId)}`);
    expect(excluded.json<{ decision: string }>().decision).toBe('excluded');
  });
});
