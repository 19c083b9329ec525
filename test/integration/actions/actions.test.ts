// Lifecycle actions end to end: docsync's engine and workers, the real MSAL token broker and
// Graph client over HTTP, the emulator's write side, on both databases. Each failure a
// technician can meet is here: a missing GDAP role, no free licence seats, throttling in the
// middle of an action, and a worker killed mid-action whose action resumes without doing a step twice.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { RunningEmulator } from '../../../src/emulator/index.ts';
import { ROLES } from '../../../src/emulator/world/catalog.ts';
import { emulatedCredentials } from '../../../src/emulator/graph/user-writes.ts';
import type { TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import type { SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { createActionWorker, getAction, requestAction, resumeAction, type ActionDeps } from '../../../src/actions/engine.ts';
import type { Actor } from '../../../src/actions/permission.ts';
import { revealVaultEntry } from '../../../src/docs/vault.ts';
import { listGroupChoices } from '../../../src/actions/microsoft-user.ts';
import { startActionsWorld } from './fixtures.ts';

const ADMIN: Actor = { id: null, label: 'alice', role: 'administrator', canAct: true };
const WRITE_ROLES = [
  ROLES.directoryReaders,
  ROLES.globalReader,
  ROLES.userAdministrator,
  ROLES.licenseAdministrator,
  ROLES.groupsAdministrator,
  ROLES.exchangeAdministrator,
];

describe.each(DATABASE_KINDS)('lifecycle actions against the emulator on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-12-03T09:00:00Z');
  const clock = { now: () => new Date(now) };
  const waits: number[] = [];
  let microsoft: SyncMicrosoft;
  let deps: ActionDeps;
  let integrationId: string;
  let contoso: { id: string; tenantId: string };

  beforeAll(async () => {
    const sleep = async (ms: number) => {
      waits.push(ms);
      now += ms;
    };
    ({
      emulator,
      ctx,
      microsoft,
      deps,
      integrationId,
      tenant: contoso,
    } = await startActionsWorld(kind, {
      seed: 7,
      customers: 3,
      usersPerTenant: 40,
      roles: WRITE_ROLES,
      clock,
      sleep,
    }));
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });
  beforeEach(() => {
    emulator.control.faults.clear();
    emulator.world.setAccessRoles(contoso.tenantId, WRITE_ROLES);
    microsoft.tokens.forget(integrationId);
  });

  const world = () => emulator.world;
  /** A licensed member of Contoso not touched by an earlier test. */
  let nextSlot = 10;
  function freshMember() {
    for (;;) {
      const user = world().userAt(contoso.tenantId, nextSlot++);
      if (user && user.kind === 'member' && user.record.accountEnabled && user.record.assignedLicenses.length > 0) return user.record;
    }
  }
  const contactOf = (userId: string) =>
    ctx.database.db
      .selectFrom('contacts')
      .selectAll()
      .where('tenant_id', '=', contoso.id)
      .where('microsoft_user_id', '=', userId)
      .executeTakeFirst();
  const run = async (workerId = 'w1', hooks = {}) => createActionWorker(deps, { workerId, hooks }).drain();

  it('previews an offboarding without changing anything, then runs it: Microsoft, documentation and vault reflect it at once', async () => {
    const user = freshMember();
    const groupsBefore = world()
      .groups(contoso.tenantId)
      .filter((g) =>
        world()
          .groupMembers(contoso.tenantId, g.record.id)
          .some((m) => m.kind === 'user' && m.user.record.id === user.id),
      );
    expect(groupsBefore.length).toBeGreaterThan(0);
    const preview = await requestAction(deps, ADMIN, {
      kind: 'offboard',
      tenantId: contoso.id,
      userIds: [user.id],
      input: { autoReply: 'I have left the company.' },
      preview: true,
    });
    expect(preview.status).toBe('preview');
    expect(preview.steps.map((s) => [s.name, s.status])).toEqual([
      ['block_sign_in', 'planned'],
      ['revoke_sessions', 'planned'],
      ['reset_password', 'planned'],
      ['remove_from_groups', 'planned'],
      ['remove_licenses', 'planned'],
      ['set_auto_reply', 'planned'],
    ]);
    expect(preview.steps[3]!.detail).toContain(groupsBefore[0]!.record.displayName);
    expect(world().user(contoso.tenantId, user.id)!.record.accountEnabled).toBe(true);

    const queued = await requestAction(deps, ADMIN, {
      kind: 'offboard',
      tenantId: contoso.id,
      userIds: [user.id],
      input: { autoReply: 'I have left the company.' },
      preview: false,
    });
    expect(queued.status).toBe('queued');
    expect(await run()).toBe(1);
    const done = await getAction(ctx.database.db, queued.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.every((s) => s.status === 'done')).toBe(true);

    const after = world().user(contoso.tenantId, user.id)!.record;
    expect(after.accountEnabled).toBe(false);
    expect(after.assignedLicenses).toEqual([]);
    expect(
      world()
        .groups(contoso.tenantId)
        .filter((g) =>
          world()
            .groupMembers(contoso.tenantId, g.record.id)
            .some((m) => m.kind === 'user' && m.user.record.id === user.id),
        ),
    ).toEqual([]);
    const credentials = emulatedCredentials(world(), contoso.tenantId, user.id);
    expect(credentials.sessionsRevokedAt).toBeDefined();

    const contact = await contactOf(user.id);
    expect(contact!.microsoft_overlay).toMatchObject({ accountEnabled: false, licenses: [] });
    const entry = await ctx.database.db
      .selectFrom('vault_entries')
      .selectAll()
      .where('microsoft_user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(entry.secret_sealed).not.toContain(credentials.password!);
    expect(entry.contact_id).toBe(contact!.id);
    const revealed = await revealVaultEntry(deps, ADMIN, entry.id);
    expect(revealed.password).toBe(credentials.password);
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['action', 'before', 'after'])
      .where('subject_id', '=', user.id)
      .execute();
    expect(audit.find((a) => a.action === 'action.offboard.block_sign_in')).toMatchObject({
      before: { accountEnabled: true },
      after: { accountEnabled: false },
    });
    expect(JSON.stringify(audit)).not.toContain(credentials.password!);
  });

  it(
    'fails a step Microsoft refuses for a missing GDAP role, says which role, keeps earlier steps done, and resumes once the role is ' +
      'given',
    async () => {
      const user = freshMember();
      const action = await requestAction(deps, ADMIN, {
        kind: 'offboard',
        tenantId: contoso.id,
        userIds: [user.id],
        input: { steps: ['block_sign_in', 'remove_licenses'] },
        preview: false,
      });
      // The relationship loses License Administrator and User Administrator keeps only users… after the preview.
      world().setAccessRoles(contoso.tenantId, [
        ROLES.directoryReaders,
        ROLES.globalReader,
        ROLES.groupsAdministrator,
        ROLES.helpdeskAdministrator,
      ]);
      microsoft.tokens.forget(integrationId);
      await run();
      const failed = await getAction(ctx.database.db, action.id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatchObject({ code: 'gdap_role_missing' });
      expect(failed.error!.action).toContain('User Administrator');
      expect(failed.steps.map((s) => s.status)).toEqual(['failed', 'not_run']);

      world().setAccessRoles(contoso.tenantId, WRITE_ROLES);
      microsoft.tokens.forget(integrationId);
      expect((await resumeAction(deps, ADMIN, action.id)).status).toBe('queued');
      await run();
      expect((await getAction(ctx.database.db, action.id)).status).toBe('succeeded');
      expect(world().user(contoso.tenantId, user.id)!.record.accountEnabled).toBe(false);
    },
  );

  it('blocks a preview when the relationship lacks the role a step needs (from discovery)', async () => {
    world().setAccessRoles(contoso.tenantId, [ROLES.directoryReaders, ROLES.globalReader]);
    await microsoft.discovery.discover(integrationId);
    try {
      const preview = await requestAction(deps, ADMIN, {
        kind: 'password_rotation',
        tenantId: contoso.id,
        userIds: [freshMember().id],
        preview: true,
      });
      expect(preview.steps[0]).toMatchObject({ name: 'reset_password', status: 'blocked' });
      expect(preview.steps[0]!.detail).toContain('User Administrator');
      await expect(
        requestAction(deps, ADMIN, { kind: 'password_rotation', tenantId: contoso.id, userIds: [freshMember().id], preview: false }),
      ).rejects.toMatchObject({ code: 'action_blocked', status: 409 });
    } finally {
      world().setAccessRoles(contoso.tenantId, WRITE_ROLES);
      await microsoft.discovery.discover(integrationId);
    }
  });

  it(
    "refuses an administrator's password in the preview without Privileged Authentication Administrator, and says so when Microsoft " +
      'refuses it',
    async () => {
      const admin = world().userAt(contoso.tenantId, 0)!.record;
      const preview = await requestAction(deps, ADMIN, {
        kind: 'password_rotation',
        tenantId: contoso.id,
        userIds: [admin.id],
        preview: true,
      });
      expect(preview.steps[0]).toMatchObject({ name: 'reset_password', status: 'blocked' });
      expect(preview.steps[0]!.detail).toContain('is an administrator');
      // Discovery last saw Privileged Authentication Administrator, but the relationship no longer has it.
      world().setAccessRoles(contoso.tenantId, [...WRITE_ROLES, ROLES.privilegedAuthenticationAdministrator]);
      await microsoft.discovery.discover(integrationId);
      try {
        const action = await requestAction(deps, ADMIN, {
          kind: 'password_rotation',
          tenantId: contoso.id,
          userIds: [admin.id],
          preview: false,
        });
        world().setAccessRoles(contoso.tenantId, WRITE_ROLES);
        microsoft.tokens.forget(integrationId);
        await run();
        const failed = await getAction(ctx.database.db, action.id);
        expect(failed.error).toMatchObject({ code: 'user_is_administrator' });
        expect(failed.error!.action).toContain('Privileged Authentication Administrator');
        expect(emulatedCredentials(world(), contoso.tenantId, admin.id).password).toBeUndefined();
      } finally {
        world().setAccessRoles(contoso.tenantId, WRITE_ROLES);
        await microsoft.discovery.discover(integrationId);
      }
    },
  );

  it('names the SKU without free seats in the preview, and fails then resumes when seats ran out between preview and run', async () => {
    const skus = world().subscribedSkus(contoso.tenantId);
    const sku = skus.find((s) => s.capabilityStatus === 'Enabled')!;
    const taker = freshMember();
    world().updateUser(contoso.tenantId, taker.id, { usageLocation: 'GB' });
    const target = freshMember();
    world().updateUser(contoso.tenantId, target.id, { usageLocation: 'GB', assignedLicenses: [] });
    // Use up the free seats, leaving exactly one.
    const free = () => {
      const s = world()
        .subscribedSkus(contoso.tenantId)
        .find((x) => x.skuId === sku.skuId)!;
      return s.prepaidUnits.enabled - s.consumedUnits;
    };
    let slot = 30;
    while (free() > 1) {
      const filler = world().addUser(contoso.tenantId, { displayName: `Filler ${slot++}`, skuIds: [] });
      world().updateUser(contoso.tenantId, filler.id, { assignedLicenses: [{ disabledPlans: [], skuId: sku.skuId }] });
    }
    const action = await requestAction(deps, ADMIN, {
      kind: 'license_assign',
      tenantId: contoso.id,
      userIds: [target.id],
      input: { skuIds: [sku.skuId] },
      preview: false,
    });
    // Someone takes the last seat before the worker runs.
    const last = world().addUser(contoso.tenantId, { displayName: 'Last seat', skuIds: [] });
    world().updateUser(contoso.tenantId, last.id, { assignedLicenses: [{ disabledPlans: [], skuId: sku.skuId }] });
    const preview = await requestAction(deps, ADMIN, {
      kind: 'license_assign',
      tenantId: contoso.id,
      userIds: [target.id],
      input: { skuIds: [sku.skuId] },
      preview: true,
    });
    expect(preview.steps[0]!.status).toBe('blocked');
    expect(preview.steps[0]!.detail).toMatch(/has 0 free seat\(s\), 1 needed/);
    await run();
    const failed = await getAction(ctx.database.db, action.id);
    expect(failed.error).toMatchObject({ code: 'license_seats_exhausted' });
    expect(failed.error!.message).toContain('no free seats of');
    world().updateUser(contoso.tenantId, last.id, { assignedLicenses: [] });
    await resumeAction(deps, ADMIN, action.id);
    await run();
    expect((await getAction(ctx.database.db, action.id)).status).toBe('succeeded');
    expect(
      world()
        .user(contoso.tenantId, target.id)!
        .record.assignedLicenses.map((l) => l.skuId),
    ).toEqual([sku.skuId]);
  });

  it('waits out Microsoft throttling (Retry-After) in the middle of an action and finishes it', async () => {
    const user = freshMember();
    const action = await requestAction(deps, ADMIN, {
      kind: 'offboard',
      tenantId: contoso.id,
      userIds: [user.id],
      input: { steps: ['block_sign_in', 'revoke_sessions', 'remove_licenses'] },
      preview: false,
    });
    emulator.control.faults.add({
      server: 'graph',
      method: 'POST',
      endpoint: '/v1.0/users/*/revokeSignInSessions',
      count: 2,
      action: { kind: 'status', status: 429, retryAfter: 7 },
    });
    waits.length = 0;
    await run();
    const done = await getAction(ctx.database.db, action.id);
    expect(done.status).toBe('succeeded');
    expect(waits.filter((ms) => ms === 7000)).toHaveLength(2);
    expect(emulatedCredentials(world(), contoso.tenantId, user.id).sessionsRevokedAt).toBeDefined();
  });

  it('stops an action Microsoft keeps throttling with what to do, and resumes it later without repeating the steps done', async () => {
    const user = freshMember();
    const action = await requestAction(deps, ADMIN, {
      kind: 'offboard',
      tenantId: contoso.id,
      userIds: [user.id],
      input: { steps: ['block_sign_in', 'revoke_sessions', 'remove_licenses'] },
      preview: false,
    });
    emulator.control.faults.add({
      server: 'graph',
      method: 'POST',
      endpoint: '/v1.0/users/*/revokeSignInSessions',
      count: 50,
      action: { kind: 'status', status: 429, retryAfter: 30 },
    });
    await run();
    const stopped = await getAction(ctx.database.db, action.id);
    expect(stopped.status).toBe('partial');
    expect(stopped.error).toMatchObject({ code: 'throttled', action: expect.stringContaining('not repeated') as string });
    expect(stopped.steps.map((s) => s.status)).toEqual(['done', 'failed', 'not_run']);
    emulator.control.faults.clear();
    const seq = world().changeSequence();
    await resumeAction(deps, ADMIN, action.id);
    await run();
    const done = await getAction(ctx.database.db, action.id);
    expect(done.steps.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    // Only the licences changed on resume: sign-in was not blocked a second time.
    expect(
      world()
        .userChangesSince(contoso.tenantId, seq)
        .filter((c) => c.userId === user.id),
    ).toHaveLength(1);
    expect(world().user(contoso.tenantId, user.id)!.record.assignedLicenses).toEqual([]);
  });

  it('resumes an action whose worker was killed mid-step on another worker, without doing any step twice', async () => {
    const user = freshMember();
    const action = await requestAction(deps, ADMIN, {
      kind: 'offboard',
      tenantId: contoso.id,
      userIds: [user.id],
      input: { steps: ['block_sign_in', 'reset_password', 'remove_licenses'] },
      preview: false,
    });
    const seq = world().changeSequence();
    // Worker 1 dies right after Microsoft accepted the password reset, before writing it down.
    const crash = new Error('worker killed');
    await expect(
      run('w1', {
        afterMicrosoftCall: async (step: { name: string }) => {
          if (step.name === 'reset_password') throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect((await getAction(ctx.database.db, action.id)).status).toBe('running');
    const passwordAfterCrash = emulatedCredentials(world(), contoso.tenantId, user.id).password;
    // Its lease runs out; worker 2 claims the action and carries on.
    now += 61_000;
    expect(await run('w2')).toBe(1);
    const done = await getAction(ctx.database.db, action.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    // One change per step in Microsoft: sign-in, password, licences — the reset was not repeated.
    const changes = world()
      .userChangesSince(contoso.tenantId, seq)
      .filter((c) => c.userId === user.id);
    expect(changes).toHaveLength(3);
    expect(emulatedCredentials(world(), contoso.tenantId, user.id).password).toBe(passwordAfterCrash);
    const entry = await ctx.database.db
      .selectFrom('vault_entries')
      .selectAll()
      .where('microsoft_user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect((await revealVaultEntry(deps, ADMIN, entry.id)).password).toBe(passwordAfterCrash);
  });

  it(
    'onboards a user: created in a verified domain, licensed, in its groups, documented at once as a linked contact, first password in ' +
      'the vault',
    async () => {
      const customer = world().customers()[0]!;
      const sku = world()
        .subscribedSkus(contoso.tenantId)
        .find((s) => s.capabilityStatus === 'Enabled' && s.prepaidUnits.enabled > s.consumedUnits)!;
      const group = world().groups(contoso.tenantId)[0]!;
      const input = {
        displayName: 'Nora Newcomer',
        givenName: 'Nora',
        surname: 'Newcomer',
        userPrincipalName: `nora.newcomer@${customer.defaultDomain}`,
        usageLocation: 'GB',
        jobTitle: 'Analyst',
        skuIds: [sku.skuId],
        groupIds: [group.record.id],
      };
      const foreign = await requestAction(deps, ADMIN, {
        kind: 'onboard',
        tenantId: contoso.id,
        input: { ...input, userPrincipalName: 'nora@elsewhere.example' },
        preview: true,
      });
      expect(foreign.steps[0]).toMatchObject({ name: 'create_user', status: 'blocked' });
      const action = await requestAction(deps, ADMIN, { kind: 'onboard', tenantId: contoso.id, input, preview: false });
      expect(action.steps.map((s) => s.name)).toEqual(['create_user', 'document_contact', 'assign_licenses', 'add_to_groups']);
      await run();
      expect((await getAction(ctx.database.db, action.id)).status).toBe('succeeded');
      const created =
        emulator.world.customers() &&
        [...Array(world().userSlotCount(contoso.tenantId)).keys()]
          .map((s) => world().userAt(contoso.tenantId, s))
          .find((u) => u?.record.userPrincipalName === input.userPrincipalName)!;
      expect(created.record).toMatchObject({ usageLocation: 'GB', jobTitle: 'Analyst', accountEnabled: true });
      expect(created.record.assignedLicenses.map((l) => l.skuId)).toEqual([sku.skuId]);
      expect(
        world()
          .groupMembers(contoso.tenantId, group.record.id)
          .some((m) => m.kind === 'user' && m.user.record.id === created.record.id),
      ).toBe(true);
      const contact = await contactOf(created.record.id);
      expect(contact).toMatchObject({ first_name: 'Nora', last_name: 'Newcomer', title: 'Analyst', in_microsoft: true });
      const decision = await ctx.database.db
        .selectFrom('match_decisions')
        .selectAll()
        .where('kind', '=', 'contact')
        .where('source_id', '=', created.record.id)
        .executeTakeFirstOrThrow();
      expect(decision).toMatchObject({ state: 'match', target_id: contact!.id });
      const entry = await ctx.database.db
        .selectFrom('vault_entries')
        .selectAll()
        .where('microsoft_user_id', '=', created.record.id)
        .executeTakeFirstOrThrow();
      const credentials = emulatedCredentials(world(), contoso.tenantId, created.record.id);
      expect(credentials.forceChange).toBe(true);
      expect((await revealVaultEntry(deps, ADMIN, entry.id)).password).toBe(credentials.password);
      // The next sync links the same contact instead of creating a second one.
      const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
      await createSyncWorker(microsoft.runner, { concurrency: 2 }).drain({ runId });
      const contacts = await ctx.database.db
        .selectFrom('contacts')
        .select('id')
        .where('tenant_id', '=', contoso.id)
        .where('microsoft_user_id', '=', created.record.id)
        .execute();
      expect(contacts).toEqual([{ id: contact!.id }]);
    },
  );

  it("offers the tenant's groups read from Microsoft now, and refuses in the preview a group docsync cannot add members to", async () => {
    const customer = world().customers()[0]!;
    const tenantRow = await ctx.database.db.selectFrom('tenants').selectAll().where('id', '=', contoso.id).executeTakeFirstOrThrow();
    const graph = microsoft.graph.forTenant(integrationId, tenantRow.microsoft_tenant_id, { graphRequests: 0, throttled: 0 });
    const choices = await listGroupChoices(graph);
    expect(choices.map((g) => g.displayName)).toEqual(
      [
        ...world()
          .groups(contoso.tenantId)
          .map((g) => g.record.displayName),
      ].sort((a, b) => a.localeCompare(b)),
    );
    const sales = choices.find((g) => g.displayName === 'Sales')!;
    expect(sales).toMatchObject({ kind: 'Security', notManageable: null });
    expect(choices.find((g) => g.displayName === 'All Company')).toMatchObject({ kind: 'Microsoft 365', notManageable: null });
    const finance = choices.find((g) => g.displayName === 'Finance Team')!;
    expect(finance).toMatchObject({ kind: 'Mail-enabled security', notManageable: expect.stringContaining('managed in Exchange') });
    const input = {
      displayName: 'Gail Grouped',
      userPrincipalName: `gail.grouped@${customer.defaultDomain}`,
      usageLocation: 'GB',
      groupIds: [sales.id, finance.id],
    };
    const refused = await requestAction(deps, ADMIN, { kind: 'onboard', tenantId: contoso.id, input, preview: true });
    expect(refused.steps.find((s) => s.name === 'add_to_groups')).toMatchObject({
      status: 'blocked',
      detail: expect.stringContaining('Finance Team: a mail-enabled security group') as string,
    });
    const named = await requestAction(deps, ADMIN, {
      kind: 'onboard',
      tenantId: contoso.id,
      input: { ...input, groupIds: [sales.id] },
      preview: true,
    });
    expect(named.steps.find((s) => s.name === 'add_to_groups')).toMatchObject({
      status: 'planned',
      detail: 'added to Sales',
    });
  });

  it('reclaims the licences of chosen users, showing the seats and monthly cost freed in the preview', async () => {
    const a = freshMember();
    const b = freshMember();
    const skuA = a.assignedLicenses[0]!.skuId;
    const input = { monthlyPrices: Object.fromEntries([...a.assignedLicenses, ...b.assignedLicenses].map((l) => [l.skuId, 10])) };
    const preview = await requestAction(deps, ADMIN, {
      kind: 'license_reclaim',
      tenantId: contoso.id,
      userIds: [a.id, b.id],
      input,
      preview: true,
    });
    const seats = a.assignedLicenses.length + b.assignedLicenses.length;
    expect(preview.summary).toContain('seats freed:');
    expect(preview.summary).toContain(`monthly cost freed: ${(seats * 10).toFixed(2)}`);
    const consumedBefore = world()
      .subscribedSkus(contoso.tenantId)
      .find((s) => s.skuId === skuA)!.consumedUnits;
    const action = await requestAction(deps, ADMIN, {
      kind: 'license_reclaim',
      tenantId: contoso.id,
      userIds: [a.id, b.id],
      input,
      preview: false,
    });
    await run();
    expect((await getAction(ctx.database.db, action.id)).status).toBe('succeeded');
    expect(world().user(contoso.tenantId, a.id)!.record.assignedLicenses).toEqual([]);
    expect(
      world()
        .subscribedSkus(contoso.tenantId)
        .find((s) => s.skuId === skuA)!.consumedUnits,
    ).toBeLessThan(consumedBefore);
  });

  it('chooses whom to reclaim from what Microsoft says at preview time, not from the last sync, and shows the seats freed', async () => {
    const DAY = 86_400_000;
    const disabledSinceSync = freshMember();
    world().updateUser(contoso.tenantId, disabledSinceSync.id, { accountEnabled: false });
    // The last sync saw this one disabled, but it was enabled again since and signed in yesterday.
    const enabledSinceSync = freshMember();
    await ctx.database.db
      .updateTable('ms_users')
      .set({ data: sql`data || '{"accountEnabled": false}'::jsonb` })
      .where('tenant_id', '=', contoso.id)
      .where('user_id', '=', enabledSinceSync.id)
      .execute();
    const yesterday = new Date(now - DAY).toISOString().slice(0, 19) + 'Z';
    world().updateUser(contoso.tenantId, enabledSinceSync.id, {
      signInActivity: { ...enabledSinceSync.signInActivity, lastSignInDateTime: yesterday, lastNonInteractiveSignInDateTime: yesterday },
    });
    const idle = freshMember();
    const longAgo = new Date(now - 400 * DAY).toISOString().slice(0, 19) + 'Z';
    world().updateUser(contoso.tenantId, idle.id, {
      signInActivity: { ...idle.signInActivity, lastSignInDateTime: longAgo, lastNonInteractiveSignInDateTime: longAgo },
    });

    const preview = await requestAction(deps, ADMIN, {
      kind: 'license_reclaim',
      tenantId: contoso.id,
      input: { criteria: { disabled: true, inactiveDays: 365 } },
      preview: true,
    });
    const stepOf = (id: string) =>
      preview.steps.find((s) => s.detail.startsWith(world().user(contoso.tenantId, id)!.record.userPrincipalName));
    expect(stepOf(disabledSinceSync.id)).toMatchObject({
      status: 'planned',
      detail: expect.stringContaining('sign-in blocked but licensed'),
    });
    expect(stepOf(idle.id)).toMatchObject({
      status: 'planned',
      detail: expect.stringContaining(`no sign-in since ${longAgo.slice(0, 10)}`),
    });
    expect(stepOf(enabledSinceSync.id)).toBeUndefined();
    const seats = preview.steps.filter((s) => s.status === 'planned').length;
    expect(preview.summary).toMatch(/^seats freed: \d+ × /);
    expect(preview.summary).not.toContain('monthly cost');
    expect(seats).toBeGreaterThanOrEqual(2);

    // Where Microsoft gives no sign-in activity (no Entra ID P1), "no sign-in for N days" is refused in words.
    const fabrikam = await ctx.database.db
      .selectFrom('tenants')
      .select('id')
      .where('microsoft_tenant_id', '=', world().customers()[2]!.tenantId)
      .executeTakeFirstOrThrow();
    await expect(
      requestAction(deps, ADMIN, {
        kind: 'license_reclaim',
        tenantId: fabrikam.id,
        input: { criteria: { inactiveDays: 90 } },
        preview: true,
      }),
    ).rejects.toMatchObject({ code: 'sign_in_activity_unavailable', message: expect.stringContaining('Entra ID P1') });
  });

  it('removes one chosen licence and keeps the others, in Microsoft and in the contact at once; a second run changes nothing', async () => {
    const user = freshMember();
    const [kept, removed] = world()
      .subscribedSkus(contoso.tenantId)
      .filter((s) => s.capabilityStatus === 'Enabled')
      .map((s) => s.skuId);
    world().updateUser(contoso.tenantId, user.id, {
      usageLocation: 'GB',
      assignedLicenses: [
        { disabledPlans: [], skuId: kept! },
        { disabledPlans: [], skuId: removed! },
      ],
    });
    const request = { kind: 'license_remove', tenantId: contoso.id, userIds: [user.id], input: { skuIds: [removed!] } };
    const action = await requestAction(deps, ADMIN, { ...request, preview: false });
    await run();
    expect((await getAction(ctx.database.db, action.id)).steps).toEqual([expect.objectContaining({ status: 'done' })]);
    expect(
      world()
        .user(contoso.tenantId, user.id)!
        .record.assignedLicenses.map((l) => l.skuId),
    ).toEqual([kept]);
    expect((await contactOf(user.id))!.microsoft_overlay).toMatchObject({ licenses: [expect.objectContaining({ skuId: kept })] });
    const again = await requestAction(deps, ADMIN, { ...request, preview: true });
    expect(again.steps).toEqual([expect.objectContaining({ status: 'unchanged' })]);
  });

  it('waits for a delayed delete in the queue, then soft-deletes the user (restorable), marks the contact gone', async () => {
    const user = freshMember();
    const action = await requestAction(deps, ADMIN, {
      kind: 'offboard',
      tenantId: contoso.id,
      userIds: [user.id],
      input: { steps: ['block_sign_in'], deleteAfterDays: 7 },
      preview: false,
    });
    await run();
    const waiting = await getAction(ctx.database.db, action.id);
    expect(waiting.status).toBe('queued');
    expect(waiting.steps.map((s) => s.status)).toEqual(['done', 'pending']);
    expect(world().user(contoso.tenantId, user.id)).toBeDefined();
    expect(await run()).toBe(0);
    now += 7 * 86_400_000;
    await run();
    expect((await getAction(ctx.database.db, action.id)).status).toBe('succeeded');
    expect(world().user(contoso.tenantId, user.id)).toBeUndefined();
    expect(
      world()
        .deletedUsers(contoso.tenantId)
        .map((u) => u.record.id),
    ).toContain(user.id);
    expect(await contactOf(user.id)).toMatchObject({ in_microsoft: false });
  });

  it('refuses read-only accounts, technicians not allowed to act, guests without override, integrations without actions on', async () => {
    const user = freshMember();
    await expect(
      requestAction(
        deps,
        { ...ADMIN, role: 'read_only', canAct: true },
        { kind: 'offboard', tenantId: contoso.id, userIds: [user.id], preview: true },
      ),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      requestAction(
        deps,
        { ...ADMIN, role: 'technician', canAct: false },
        { kind: 'offboard', tenantId: contoso.id, userIds: [user.id], preview: true },
      ),
    ).rejects.toMatchObject({ status: 403 });
    const guest = [...Array(world().userSlotCount(contoso.tenantId)).keys()]
      .map((s) => world().userAt(contoso.tenantId, s))
      .find((u) => u?.kind === 'guest')!;
    const blocked = await requestAction(
      deps,
      { ...ADMIN, role: 'technician', canAct: true },
      { kind: 'offboard', tenantId: contoso.id, userIds: [guest.record.id], preview: true },
    );
    expect(blocked.steps.every((s) => s.status === 'blocked')).toBe(true);
    expect(blocked.steps[0]!.detail).toContain('"guest"');
    const overridden = await requestAction(deps, ADMIN, {
      kind: 'offboard',
      tenantId: contoso.id,
      userIds: [guest.record.id],
      input: { overrides: ['guest'] },
      preview: true,
    });
    expect(overridden.steps.some((s) => s.status === 'planned')).toBe(true);
    await ctx.database.db
      .updateTable('integrations')
      .set({ settings: JSON.stringify({ actions: { enabled: false } }) })
      .where('id', '=', integrationId)
      .execute();
    try {
      await expect(
        requestAction(deps, ADMIN, { kind: 'offboard', tenantId: contoso.id, userIds: [user.id], preview: true }),
      ).rejects.toMatchObject({ code: 'actions_disabled' });
    } finally {
      await ctx.database.db
        .updateTable('integrations')
        .set({ settings: JSON.stringify({ actions: { enabled: true } }) })
        .where('id', '=', integrationId)
        .execute();
    }
  });
});
