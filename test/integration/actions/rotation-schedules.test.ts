// Scheduled password rotation: a schedule per user queues password_rotation actions on the
// workers every N days (the action engine, the real MSAL and Graph client, the emulator's write
// side), each new password in the vault; an administrator without Privileged Authentication
// Administrator is refused when the schedule is set; a due rotation refused later says why on the
// schedule and is tried again a day later. The clock is injected: no test waits.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/index.ts';
import { ROLES } from '../../../src/emulator/world/catalog.ts';
import { emulatedCredentials } from '../../../src/emulator/graph/user-writes.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import type { TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import type { SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createActionWorker, listTenantActions, type ActionDeps } from '../../../src/actions/engine.ts';
import type { Actor } from '../../../src/actions/permission.ts';
import {
  listOrganizationRotationSchedules,
  listTenantRotationSchedules,
  queueDueRotations,
  removeRotationSchedule,
  setRotationSchedules,
} from '../../../src/actions/rotation-schedules.ts';
import { revealVaultEntry } from '../../../src/docs/vault.ts';
import { startActionsWorld } from './fixtures.ts';

const DAY = 86_400_000;
const WRITE_ROLES = [
  ROLES.directoryReaders,
  ROLES.globalReader,
  ROLES.userAdministrator,
  ROLES.licenseAdministrator,
  ROLES.groupsAdministrator,
];

describe.each(DATABASE_KINDS)('scheduled password rotation on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-12-03T09:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;
  let deps: ActionDeps;
  let integrationId: string;
  let tenant: { id: string; tenantId: string };
  let organizationId: string;
  let alice: Actor;

  beforeAll(async () => {
    ({ emulator, ctx, microsoft, deps, integrationId, tenant, organizationId } = await startActionsWorld(kind, {
      seed: 5,
      customers: 2,
      usersPerTenant: 30,
      roles: WRITE_ROLES,
      clock,
      sleep: async (ms) => void (now += ms),
    }));
    const technician = await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'alice', password: 'correct horse battery staple', role: 'administrator' },
      { id: null, label: 'test' },
    );
    alice = { id: technician.id, label: 'alice', role: 'administrator', canAct: true };
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });
  beforeEach(() => {
    emulator.control.faults.clear();
    emulator.world.setAccessRoles(tenant.tenantId, WRITE_ROLES);
    microsoft.tokens.forget(integrationId);
  });

  const world = () => emulator.world;
  let nextSlot = 5;
  function freshMember() {
    for (;;) {
      const user = world().userAt(tenant.tenantId, nextSlot++);
      if (user && user.kind === 'member' && user.record.accountEnabled) return user.record;
    }
  }
  /** One worker round: what is due is queued, then every queued action runs. */
  const workerRound = (workerId = 'w1') => createActionWorker(deps, { workerId, beforeClaim: () => queueDueRotations(deps) }).drain();
  const scheduleOf = async (userId: string) => (await listTenantRotationSchedules(deps, tenant.id)).find((s) => s.userId === userId);
  const vaultPassword = async (userId: string) => {
    const entry = await ctx.database.db
      .selectFrom('vault_entries')
      .select('id')
      .where('microsoft_user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return (await revealVaultEntry(deps, alice, entry.id)).password;
  };

  it('rotates a password every N days on the workers, keeps each new one in the vault, and shows the next and last rotation', async () => {
    const user = freshMember();
    // The password was last changed 5 days ago: with a 30-day rotation, the first one is due in 25 days.
    world().updateUser(tenant.tenantId, user.id, { lastPasswordChangeDateTime: new Date(now - 5 * DAY).toISOString() });
    const [schedule] = await setRotationSchedules(deps, alice, { tenantId: tenant.id, userIds: [user.id], intervalDays: 30 });
    expect(schedule).toMatchObject({ userPrincipalName: user.userPrincipalName, intervalDays: 30, lastRotatedAt: null });
    expect(schedule!.nextRotationAt).toBe(new Date(now + 25 * DAY).toISOString());

    expect(await workerRound()).toBe(0);
    expect(emulatedCredentials(world(), tenant.tenantId, user.id).password).toBeUndefined();

    now += 25 * DAY;
    expect(await workerRound()).toBe(1);
    const first = emulatedCredentials(world(), tenant.tenantId, user.id);
    expect(first.password).toBeDefined();
    expect(first.forceChange).toBe(true);
    expect(await vaultPassword(user.id)).toBe(first.password);
    const rotated = (await scheduleOf(user.id))!;
    expect(rotated.lastRotatedAt).toBe(new Date(now).toISOString());
    expect(rotated.nextRotationAt).toBe(new Date(now + 30 * DAY).toISOString());
    expect(rotated.lastAction).toMatchObject({ status: 'succeeded', error: null });
    const actions = await listTenantActions(ctx.database.db, tenant.id, { userId: user.id });
    expect(actions.map((a) => [a.kind, a.status, a.requestedBy])).toEqual([['password_rotation', 'succeeded', 'alice (schedule)']]);

    // Not due again the next day, however often the workers look.
    now += DAY;
    expect(await workerRound()).toBe(0);
    now += 29 * DAY;
    expect(await workerRound()).toBe(1);
    const second = emulatedCredentials(world(), tenant.tenantId, user.id).password;
    expect(second).not.toBe(first.password);
    expect(await vaultPassword(user.id)).toBe(second);

    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['action', 'actor_label'])
      .where('subject_id', '=', user.id)
      .orderBy('created_at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'password_rotation_schedule.set',
      'action.password_rotation.reset_password',
      'action.password_rotation.reset_password',
    ]);
    expect((await listOrganizationRotationSchedules(deps, organizationId)).map((s) => s.userId)).toContain(user.id);
  });

  it("refuses to schedule an administrator's password without Privileged Authentication Administrator, and stores nothing", async () => {
    const administrator = world().userAt(tenant.tenantId, 0)!.record;
    const member = freshMember();
    await expect(
      setRotationSchedules(deps, alice, { tenantId: tenant.id, userIds: [member.id, administrator.id], intervalDays: 90 }),
    ).rejects.toMatchObject({
      code: 'action_blocked',
      status: 409,
      message: expect.stringContaining(`${administrator.userPrincipalName} is an administrator`) as string,
    });
    await expect(setRotationSchedules(deps, alice, { tenantId: tenant.id, userIds: [administrator.id], intervalDays: 90 })).rejects.toThrow(
      /Privileged Authentication Administrator/,
    );
    expect(await scheduleOf(administrator.id)).toBeUndefined();
    expect(await scheduleOf(member.id)).toBeUndefined();
  });

  it('says on the schedule why a due rotation was refused, queues nothing, and tries again a day later', async () => {
    const user = freshMember();
    world().updateUser(tenant.tenantId, user.id, { lastPasswordChangeDateTime: new Date(now - 400 * DAY).toISOString() });
    const [schedule] = await setRotationSchedules(deps, alice, { tenantId: tenant.id, userIds: [user.id], intervalDays: 90 });
    // Changed more than 90 days ago: due at once.
    expect(schedule!.nextRotationAt).toBe(new Date(now).toISOString());
    world().setAccessRoles(tenant.tenantId, [ROLES.directoryReaders, ROLES.globalReader]);
    await microsoft.discovery.discover(integrationId);
    try {
      expect(await workerRound()).toBe(0);
      const refused = (await scheduleOf(user.id))!;
      expect(refused.problem).toContain('User Administrator');
      expect(refused.nextRotationAt).toBe(new Date(now + DAY).toISOString());
      expect(emulatedCredentials(world(), tenant.tenantId, user.id).password).toBeUndefined();
      expect(await workerRound()).toBe(0);
    } finally {
      world().setAccessRoles(tenant.tenantId, WRITE_ROLES);
      await microsoft.discovery.discover(integrationId);
    }
    now += DAY;
    expect(await workerRound()).toBe(1);
    const healed = (await scheduleOf(user.id))!;
    expect(healed.problem).toBeNull();
    expect(healed.lastRotatedAt).toBe(new Date(now).toISOString());
    expect(await vaultPassword(user.id)).toBe(emulatedCredentials(world(), tenant.tenantId, user.id).password);
  });

  it('queues a due rotation once however many workers look at the same moment, and stops when the schedule is removed', async () => {
    const user = freshMember();
    world().updateUser(tenant.tenantId, user.id, { lastPasswordChangeDateTime: new Date(now - 400 * DAY).toISOString() });
    const [schedule] = await setRotationSchedules(deps, alice, { tenantId: tenant.id, userIds: [user.id], intervalDays: 7 });
    const queued = await Promise.all([queueDueRotations(deps), queueDueRotations(deps), queueDueRotations(deps)]);
    expect(queued.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await workerRound()).toBe(1);
    await removeRotationSchedule(deps, alice, schedule!.id);
    now += 8 * DAY;
    expect(await workerRound()).toBe(0);
    expect(await scheduleOf(user.id)).toBeUndefined();
    expect(await listTenantActions(ctx.database.db, tenant.id, { userId: user.id })).toHaveLength(1);
  });
});
