import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import {
  call,
  HOSTILE_NAMES,
  seedContents,
  seedTenants,
  startWebWorld,
  type Seeded,
  type SeededContents,
  type WebWorld,
} from './support.ts';

describe.each(DATABASE_KINDS)('the JSON API on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let contents: SeededContents;
  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    contents = await seedContents(world.ctx, seeded, world.clock.now());
  });
  afterAll(async () => {
    await world?.close();
  });

  describe('organizations ↔ tenants', () => {
    it('lists tenants with state, rule, score and suggestion names, filtered and paged on the server', async () => {
      const all = await call(world, 'read_only', 'GET', '/api/tenants?pageSize=3');
      expect(all.statusCode).toBe(200);
      expect(all.json().total).toBe(8);
      expect(all.json().items).toHaveLength(3);
      expect(all.json().counts).toEqual({ matched: 1, suggested: 2, unmatched: 5, ignored: 0 });
      const suggested = await call(world, 'read_only', 'GET', '/api/tenants?state=suggested&search=northwind');
      const [northwind] = suggested.json().items;
      expect(northwind).toMatchObject({
        displayName: 'Northwind Traders Inc.',
        state: 'suggested',
        score: 0.92,
        suggestions: [{ name: 'Northwind Traders', score: 0.92 }, { name: 'Contoso Ltd' }],
      });
      const matched = await call(world, 'read_only', 'GET', '/api/tenants?state=matched');
      expect(matched.json().items[0]).toMatchObject({ displayName: 'Contoso, Ltd.', rule: 'name', organizationName: 'Contoso Ltd' });
      const unmatched = await call(world, 'read_only', 'GET', '/api/tenants?state=unmatched&pageSize=10');
      expect(unmatched.json().items.map((t: { displayName: string }) => t.displayName)).toContain('Fresh Tenant');
    });

    it('treats % and _ in a search as text', async () => {
      const response = await call(world, 'read_only', 'GET', `/api/tenants?search=${encodeURIComponent('%')}`);
      expect(response.json().total).toBe(0);
    });

    it('rejects bad input with 400 and names the problem', async () => {
      const badState = await call(world, 'read_only', 'GET', '/api/tenants?state=maybe');
      expect(badState.statusCode).toBe(400);
      expect(badState.json().error).toMatchObject({ code: 'validation_failed' });
      expect((await call(world, 'read_only', 'GET', '/api/tenants?pageSize=100000')).statusCode).toBe(400);
      expect((await call(world, 'technician', 'POST', '/api/tenants/not-a-uuid/ignore')).statusCode).toBe(400);
      expect((await call(world, 'technician', 'POST', '/api/tenants/bulk-accept', { minScore: 7 })).statusCode).toBe(400);
      expect((await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.fresh!.id}/accept`, {})).json().error.code).toBe(
        'bad_input',
      );
      const missing = await call(world, 'technician', 'POST', '/api/tenants/00000000-0000-4000-8000-000000000000/ignore');
      expect(missing.statusCode).toBe(404);
    });

    it('needs a session (401), the technician role for decisions (403) and the CSRF token', async () => {
      const tenant = seeded.tenants.tailspin!.id;
      expect((await call(world, null, 'GET', '/api/tenants')).statusCode).toBe(401);
      expect((await call(world, null, 'POST', `/api/tenants/${tenant}/ignore`)).statusCode).toBe(401);
      const readOnly = await call(world, 'read_only', 'POST', `/api/tenants/${tenant}/ignore`);
      expect(readOnly.statusCode).toBe(403);
      expect(readOnly.json().error.code).toBe('forbidden');
      const noCsrf = await call(world, 'technician', 'POST', `/api/tenants/${tenant}/ignore`, undefined, { csrf: false });
      expect(noCsrf.statusCode).toBe(403);
      expect(noCsrf.json().error.code).toBe('csrf_rejected');
      const decision = await world.ctx.database.db
        .selectFrom('match_decisions')
        .select('state')
        .where('tenant_id', '=', tenant)
        .where('kind', '=', 'organization')
        .executeTakeFirstOrThrow();
      expect(decision.state).toBe('suggested');
    });

    it('accepts a suggestion as a technician decision, audits it, and undoes it back to the sync decision', async () => {
      const tenant = seeded.tenants.northwind!.id;
      const accepted = await call(world, 'technician', 'POST', `/api/tenants/${tenant}/accept`, {});
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json().decision).toMatchObject({
        state: 'matched',
        targetId: seeded.organizations.northwind,
        rule: 'technician',
        decidedByTechnician: true,
        decidedBy: world.as.technician.id,
      });
      const audit = await call(world, 'administrator', 'GET', '/api/audit?subjectType=organization_decision');
      expect(audit.json().items[0]).toMatchObject({
        actor: 'technician-user',
        action: 'organization_match.accept',
        before: { state: 'suggested', decidedByTechnician: false },
        after: { state: 'matched' },
      });
      const undone = await call(world, 'technician', 'POST', `/api/tenants/${tenant}/undo`);
      expect(undone.json().decision).toMatchObject({ state: 'suggested', decidedByTechnician: false, decidedBy: 'sync' });
      const row = await world.ctx.database.db
        .selectFrom('match_decisions')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('kind', '=', 'organization')
        .executeTakeFirstOrThrow();
      expect(row.decided_by_technician).toBe(false);
      expect(row.suggestions).toHaveLength(2);
    });

    it('chooses another organization, creates one from a tenant, and ignores a tenant', async () => {
      const chosen = await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.tailspin!.id}/choose`, {
        organizationId: seeded.organizations.contoso,
      });
      expect(chosen.json().decision).toMatchObject({ state: 'matched', targetId: seeded.organizations.contoso });
      const created = await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.fresh!.id}/create-organization`);
      expect(created.statusCode).toBe(201);
      const organization = await world.ctx.database.db
        .selectFrom('organizations')
        .selectAll()
        .where('id', '=', created.json().organization.id)
        .executeTakeFirstOrThrow();
      expect(organization).toMatchObject({ name: 'Fresh Tenant', domains: ['fresh.example'] });
      const undoCreate = await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.fresh!.id}/undo`);
      expect(undoCreate.json().decision).toBeNull();
      const ignored = await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.quotes!.id}/ignore`);
      expect(ignored.json().decision.state).toBe('ignored');
      const typeAhead = await call(world, 'read_only', 'GET', '/api/organizations?search=north');
      expect(typeAhead.json().items.map((o: { name: string }) => o.name)).toEqual(['Northwind Traders']);
    });

    it('bulk-accepts only suggestions at or above the chosen score', async () => {
      const response = await call(world, 'technician', 'POST', '/api/tenants/bulk-accept', { minScore: 0.9 });
      expect(response.json()).toEqual({ accepted: 1, documented: 0 }); // seeded tenants have no staged Microsoft data
      const list = await call(world, 'read_only', 'GET', '/api/tenants?state=matched&search=northwind');
      expect(list.json().items[0]).toMatchObject({ organizationName: 'Northwind Traders', decidedByTechnician: true });
      await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.northwind!.id}/undo`);
    });

    it("returns hostile names verbatim as JSON data (escaping is the page's job)", async () => {
      const response = await call(world, 'read_only', 'GET', '/api/tenants?pageSize=200');
      const names = response.json().items.map((t: { displayName: string }) => t.displayName);
      expect(names).toEqual(expect.arrayContaining([HOSTILE_NAMES.script, HOSTILE_NAMES.quotes, HOSTILE_NAMES.rtl, HOSTILE_NAMES.huge]));
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  describe('contacts, overlay, devices and licenses', () => {
    it("lists a tenant's users with decision, rule and review candidates", async () => {
      const tenant = seeded.tenants.contoso!.id;
      const response = await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/users`);
      expect(response.statusCode).toBe(200);
      const byId = Object.fromEntries(response.json().items.map((u: { userId: string }) => [u.userId, u]));
      expect(byId['u-adele']).toMatchObject({
        decision: 'match',
        rule: 'alias',
        contact: { name: 'Adele Vance', emails: ['adelev@contoso.example'] },
      });
      expect(byId['u-alex'].candidates.map((c: { emails: string[] }) => c.emails[0]).sort()).toEqual([
        'alex.w@contoso.example',
        'awilber@contoso.example',
      ]);
      expect(byId['u-hostile']).toMatchObject({ decision: 'pending', displayName: HOSTILE_NAMES.script });
      const reviews = await call(world, 'read_only', 'GET', `/api/tenants/${tenant}/users?decision=review`);
      expect(reviews.json().items.map((u: { userId: string }) => u.userId)).toEqual(['u-alex']);
      expect(reviews.json().counts).toMatchObject({ match: 1, review: 1, pending: 1 });
    });

    it('shows the Microsoft overlay: enabled, sign-in, password change, friendly license names, mailbox, devices', async () => {
      const response = await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/users/u-adele`);
      const overlay = response.json().overlay;
      expect(overlay).toMatchObject({
        accountEnabled: true,
        signInActivityAvailable: true,
        inactive: false,
        licenses: [{ name: 'Microsoft 365 E5' }],
        mailbox: { storageUsedBytes: 5 * 1024 ** 3, itemCount: 1234, hasArchive: true },
        devices: [{ name: 'ADELE-LAPTOP', complianceState: 'compliant' }],
      });
      expect(overlay.lastPasswordChangeAt).toBeTruthy();
      const alex = await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/users/u-alex`);
      expect(alex.json().overlay).toMatchObject({ accountEnabled: false, licenses: [{ name: 'Microsoft 365 Business Premium' }] });
      const hostile = await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/users/u-hostile`);
      expect(hostile.json().overlay.lastSignInAt).toBeNull();
      expect((await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/users/nobody`)).statusCode).toBe(404);
    });

    it('resolves a review to one of the candidates, refuses contacts of other organizations, and can undo', async () => {
      const url = `/api/tenants/${seeded.tenants.contoso!.id}/users/u-alex/decision`;
      expect((await call(world, 'read_only', 'POST', url, { action: 'match', contactId: contents.contacts.alexTwo })).statusCode).toBe(403);
      const foreign = await call(world, 'technician', 'POST', url, { action: 'match', contactId: contents.contacts.other });
      expect(foreign.statusCode).toBe(400);
      const resolved = await call(world, 'technician', 'POST', url, { action: 'match', contactId: contents.contacts.alexTwo });
      expect(resolved.json().decision).toMatchObject({ state: 'match', targetId: contents.contacts.alexTwo, decidedByTechnician: true });
      expect((await call(world, 'technician', 'POST', url, { action: 'maybe' })).statusCode).toBe(400);
      const excluded = await call(world, 'technician', 'POST', url, { action: 'exclude' });
      expect(excluded.json().decision.state).toBe('excluded');
      await call(world, 'technician', 'POST', url, { action: 'undo' });
      const after = await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/users/u-alex`);
      expect(after.json()).toMatchObject({ decision: 'match', contact: { id: contents.contacts.alexTwo } });
      const typeAhead = await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/contacts?search=wilber`);
      expect(typeAhead.json().items).toHaveLength(2);
    });

    it('lists Intune devices with their configuration and related contact', async () => {
      const response = await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/devices`);
      expect(response.json().items[0]).toMatchObject({
        name: 'ADELE-LAPTOP',
        decision: 'match',
        rule: 'serial',
        configuration: { name: 'ADELE-LAPTOP' },
        relatedContact: { name: 'Adele Vance' },
      });
    });

    it('sums licenses per SKU with friendly names (never a bare GUID) and lists licensed users without a recent sign-in', async () => {
      const response = await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/licenses`);
      const body = response.json();
      expect(body.skus.map((s: { name: string }) => s.name)).toEqual([
        'Microsoft 365 E5',
        'Microsoft 365 Business Premium',
        'Unrecognised Microsoft license',
      ]);
      expect(body.skus[0]).toMatchObject({ total: 25, assigned: 14, available: 11 });
      expect(body.totals).toEqual({ total: 38, assigned: 25, available: 13 });
      // Alex's account is disabled: "disabled" is its own state, listed as such, not as inactive (issue 17).
      expect(body.inactiveLicensedUsers.map((u: { userId: string }) => u.userId)).toEqual([]);
      expect(body.disabledLicensedUsers.map((u: { userId: string }) => u.userId)).toEqual(['u-alex']);
    });
  });

  describe('integrations and sync runs', () => {
    it('creates and edits integrations as administrator only; secrets are write-only', async () => {
      const body = {
        kind: 'gdap',
        name: 'Second partner',
        tenantId: 'fabrikam.onmicrosoft.com',
        clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
        clientSecret: 'super-secret-value~123',
      };
      expect((await call(world, 'technician', 'POST', '/api/integrations', body)).statusCode).toBe(403);
      const created = await call(world, 'administrator', 'POST', '/api/integrations', body);
      expect(created.statusCode).toBe(201);
      expect(created.body).not.toContain('super-secret-value');
      expect(created.json()).toMatchObject({ hasClientSecret: true, settings: { includeGuests: false, domains: ['*'] } });
      const id = created.json().id;
      const edited = await call(world, 'administrator', 'PATCH', `/api/integrations/${id}`, {
        settings: { includeGuests: true, domains: ['contoso.example'], schedule: '15 * * * *' },
        clientSecret: 'another-secret~456',
      });
      expect(edited.json().settings).toMatchObject({ includeGuests: true, domains: ['contoso.example'], schedule: '15 * * * *' });
      const list = await call(world, 'read_only', 'GET', '/api/integrations');
      expect(list.body).not.toContain('another-secret');
      expect(list.body).not.toContain('encrypted');
      const audit = await call(world, 'administrator', 'GET', '/api/audit?subjectType=integration');
      expect(audit.body).not.toContain('another-secret');
      expect(audit.json().items[0]).toMatchObject({
        action: 'integration.update',
        before: { settings: { includeGuests: false } },
        after: { settings: { includeGuests: true }, clientSecret: 'replaced' },
      });
      const tenants = await call(world, 'read_only', 'GET', `/api/integrations/${seeded.integrationId}/tenants`);
      expect(tenants.json().total).toBe(8);
      expect(tenants.json().items[0].action).toMatch(/sync now/);
    });

    it('queues "sync now" for technicians, once while it waits', async () => {
      expect((await call(world, 'read_only', 'POST', `/api/integrations/${seeded.integrationId}/sync`)).statusCode).toBe(403);
      const first = await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.contoso!.id}/sync`);
      expect(first.statusCode).toBe(202);
      expect(first.json().alreadyQueued).toBe(false);
      const second = await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.contoso!.id}/sync`);
      expect(second.json()).toEqual({ runId: first.json().runId, alreadyQueued: true });
      const row = await world.ctx.database.db
        .selectFrom('sync_runs')
        .selectAll()
        .where('id', '=', first.json().runId)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        status: 'queued',
        trigger: 'manual',
        tenant_id: seeded.tenants.contoso!.id,
        requested_by: 'technician-user',
      });
      const whole = await call(world, 'technician', 'POST', `/api/integrations/${seeded.integrationId}/sync`);
      expect(whole.statusCode).toBe(202);
    });

    it('lists runs and shows one with per-tenant runs, log lines and progress', async () => {
      const list = await call(world, 'read_only', 'GET', '/api/sync-runs?status=running');
      expect(list.json().items.map((r: { id: string }) => r.id)).toContain(contents.runId);
      const detail = await call(world, 'read_only', 'GET', `/api/sync-runs/${contents.runId}`);
      expect(detail.json().run).toMatchObject({ status: 'running', progress: { done: 3, total: 8 } });
      expect(detail.json().tenants[0]).toMatchObject({ status: 'failed', tenantName: 'Contoso, Ltd.', counts: { created: 2, failed: 1 } });
      expect(detail.json().log[0]).toMatchObject({ level: 'error', code: 'consent_missing', action: 're-run admin consent' });
      const after = await call(world, 'read_only', 'GET', `/api/sync-runs/${contents.runId}?logAfter=${detail.json().log[0].id}`);
      expect(after.json().log).toEqual([]);
    });
  });

  it('publishes an OpenAPI document of the API to signed-in users', async () => {
    expect((await call(world, null, 'GET', '/api/openapi.json')).statusCode).toBe(401);
    const response = await call(world, 'read_only', 'GET', '/api/openapi.json');
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/tenants',
        '/api/tenants/{id}/accept',
        '/api/tenants/{id}/users/{userId}',
        '/api/sync-runs/{id}',
        '/api/integrations',
        '/api/session',
        '/api/me/tokens',
      ]),
    );
  });
});
