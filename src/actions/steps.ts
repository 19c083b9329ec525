// The steps every action is made of. Each step reads the current Microsoft state first and only
// writes when the state differs from its goal, so running it again (a retry, a resumed action)
// changes nothing more. A step also says how the documentation changes at once, without a sync.
import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Action, ActionStep, Database, Integration, Tenant } from '../db/schema.ts';
import { storeMicrosoftPassword } from '../stores/vault.ts';
import { markPasswordRotated } from '../stores/password-rotations.ts';
import {
  contactIdOfMicrosoftUser,
  insertCreatedUserContact,
  linkCreatedUserToContact,
  markMicrosoftUserDeleted,
  mergeIntoDocumentedUser,
} from '../stores/action-documentation.ts';
import { matchedOrganizationOfTenant } from '../stores/decisions.ts';
import { licenseDisplayName } from '../licensing/skus.ts';
import type { TenantGraph } from '../microsoft/graph-client.ts';
import { ActionRefused } from './errors.ts';
import { isNotFound, readAutoReplyStatus, readDeletedUser, readMemberships, readUser, type MicrosoftUserState } from './microsoft-user.ts';
import type { StepName } from './roles.ts';

type Db = Kysely<Database>;

export interface StepIO {
  graph: TenantGraph;
  db: Db;
  secrets: Pick<SecretBox, 'seal' | 'open'>;
  tenant: Tenant;
  integration: Integration;
  action: Action;
  graphBaseUrl: string;
  now(): Date;
  /** Writes what the step is about to do (before-state, a sealed secret) before Microsoft is called. */
  persist(update: { before?: unknown; secretSealed?: string }): Promise<void>;
}

export interface StepOutcome {
  changed: boolean;
  detail: string;
  before: unknown;
  after: unknown;
  /** Documentation written at once, in the transaction that marks the step done. */
  document?: (trx: Db) => Promise<void>;
}

type Executor = (io: StepIO, step: ActionStep) => Promise<StepOutcome>;

/** 16 characters from four classes: meets Entra's default policy (three of four classes, 8+). */
export function generatePassword(): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#%+-=?@_'];
  const chars = sets.map((set) => set[randomInt(set.length)]!);
  const all = sets.join('');
  while (chars.length < 16) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

async function needUser(io: StepIO, idOrUpn: string): Promise<MicrosoftUserState> {
  const user = await readUser(io.graph, idOrUpn);
  if (!user)
    throw new ActionRefused(
      'user_gone',
      `the user ${idOrUpn} no longer exists in ${io.tenant.display_name}`,
      'check the tenant; nothing more can be done for this user',
    );
  return user;
}

/**
 * Merges into the overlay of the contact documenting this Microsoft user (if any), and into the
 * user's staged record (what docsync last knew of it, in Graph's words), so every page shows the
 * change at once. The staged content hash is left as it was: the next sync sees a difference and
 * writes Microsoft's own record over it.
 */
async function patchOverlay(trx: Db, tenantId: string, userId: string, patch: Record<string, unknown>, now: Date): Promise<void> {
  const graphPatch: Record<string, unknown> = {};
  if ('accountEnabled' in patch) graphPatch.accountEnabled = patch.accountEnabled;
  if (typeof patch.lastPasswordChangeAt === 'string') graphPatch.lastPasswordChangeDateTime = patch.lastPasswordChangeAt;
  if (Array.isArray(patch.licenses))
    graphPatch.assignedLicenses = (patch.licenses as Array<{ skuId: string }>).map((l) => ({ skuId: l.skuId, disabledPlans: [] }));
  await mergeIntoDocumentedUser(trx, { tenantId, userId, graphPatch, overlay: patch, now });
}

const licensesOf = (skuIds: string[]) => skuIds.map((skuId) => ({ skuId, name: licenseDisplayName(skuId) }));

/** Sets the password sealed on the step (generated once, before the first attempt): a resumed step sets the same one. */
async function setPassword(io: StepIO, step: ActionStep, user: MicrosoftUserState): Promise<StepOutcome> {
  const before = { lastPasswordChangeDateTime: user.lastPasswordChangeDateTime };
  const recorded = (step.before as { lastPasswordChangeDateTime?: string | null } | null) ?? null;
  // Resumed after a crash: if the password changed since we recorded the state, our reset went through.
  const alreadyApplied =
    step.secret_sealed !== null && recorded !== null && recorded.lastPasswordChangeDateTime !== user.lastPasswordChangeDateTime;
  const sealed = step.secret_sealed ?? io.secrets.seal(generatePassword());
  if (!alreadyApplied) {
    await io.persist({ before, secretSealed: sealed });
    await io.graph.write('PATCH', `/users/${encodeURIComponent(user.id)}`, {
      passwordProfile: { password: io.secrets.open(sealed), forceChangePasswordNextSignIn: true },
    });
  }
  return {
    changed: true,
    detail: `new password set for ${user.userPrincipalName} (change required at next sign-in), kept in the vault`,
    before: recorded ?? before,
    after: { passwordInVault: true },
    document: async (trx) => {
      await patchOverlay(trx, io.tenant.id, user.id, { lastPasswordChangeAt: io.now().toISOString() }, io.now());
      await markPasswordRotated(trx, { tenantId: io.tenant.id, userId: user.id, actionId: io.action.id, now: io.now() });
      const organizationId = await matchedOrganizationOfTenant(trx, io.tenant.id);
      if (organizationId) {
        await storeMicrosoftPassword(trx, {
          organizationId,
          tenantId: io.tenant.id,
          microsoftUserId: user.id,
          contactId: await contactIdOfMicrosoftUser(trx, io.tenant.id, user.id),
          userPrincipalName: user.userPrincipalName,
          sealed,
          actionId: io.action.id,
          actorLabel: io.action.requested_by_label,
          now: io.now(),
        });
      }
    },
  };
}

const executors: Record<StepName, Executor> = {
  async block_sign_in(io, step) {
    const user = await needUser(io, step.user_id!);
    if (!user.accountEnabled) {
      return {
        changed: false,
        detail: `sign-in of ${user.userPrincipalName} was already blocked`,
        before: { accountEnabled: false },
        after: { accountEnabled: false },
        document: (trx) => patchOverlay(trx, io.tenant.id, user.id, { accountEnabled: false }, io.now()),
      };
    }
    await io.persist({ before: { accountEnabled: true } });
    await io.graph.write('PATCH', `/users/${encodeURIComponent(user.id)}`, { accountEnabled: false });
    return {
      changed: true,
      detail: `sign-in of ${user.userPrincipalName} blocked`,
      before: { accountEnabled: true },
      after: { accountEnabled: false },
      document: (trx) => patchOverlay(trx, io.tenant.id, user.id, { accountEnabled: false }, io.now()),
    };
  },

  async revoke_sessions(io, step) {
    const user = await needUser(io, step.user_id!);
    // Revoking twice is harmless: Microsoft only moves the sessions' valid-from time again.
    await io.graph.write('POST', `/users/${encodeURIComponent(user.id)}/revokeSignInSessions`, {});
    return {
      changed: true,
      detail: `every session and refresh token of ${user.userPrincipalName} revoked`,
      before: null,
      after: { sessionsRevoked: true },
    };
  },

  async reset_password(io, step) {
    return setPassword(io, step, await needUser(io, step.user_id!));
  },

  async remove_from_groups(io, step) {
    const user = await needUser(io, step.user_id!);
    const { groups } = await readMemberships(io.graph, user.id);
    if (groups.length === 0)
      return { changed: false, detail: `${user.userPrincipalName} is in no group`, before: { groups: [] }, after: { groups: [] } };
    await io.persist({ before: { groups } });
    for (const group of groups) {
      try {
        await io.graph.write('DELETE', `/groups/${encodeURIComponent(group.id)}/members/${encodeURIComponent(user.id)}/$ref`);
      } catch (error) {
        if (!isNotFound(error)) throw error; // already removed (a resumed step)
      }
    }
    return {
      changed: true,
      detail: `${user.userPrincipalName} removed from ${groups.map((g) => g.displayName).join(', ')}`,
      before: { groups },
      after: { groups: [] },
    };
  },

  async remove_licenses(io, step) {
    const user = await needUser(io, step.user_id!);
    const wanted = (step.params.skuIds as string[] | undefined) ?? user.skuIds;
    const removing = user.skuIds.filter((id) => wanted.includes(id));
    if (removing.length === 0)
      return {
        changed: false,
        detail: `${user.userPrincipalName} has none of these licences`,
        before: { licenses: user.skuIds },
        after: { licenses: user.skuIds },
      };
    await io.persist({ before: { licenses: user.skuIds } });
    await io.graph.write('POST', `/users/${encodeURIComponent(user.id)}/assignLicense`, { addLicenses: [], removeLicenses: removing });
    const remaining = user.skuIds.filter((id) => !removing.includes(id));
    return {
      changed: true,
      detail:
        `${removing.map((id) => licenseDisplayName(id)).join(', ')} removed from ${user.userPrincipalName} (${removing.length} ` +
        `seat(s) freed)`,
      before: { licenses: user.skuIds },
      after: { licenses: remaining },
      document: (trx) => patchOverlay(trx, io.tenant.id, user.id, { licenses: licensesOf(remaining) }, io.now()),
    };
  },

  async set_auto_reply(io, step) {
    const user = await needUser(io, step.user_id!);
    const message = String(step.params.message ?? '');
    const current = await readAutoReplyStatus(io.graph, user.id);
    if (current.status === 'alwaysEnabled' && current.internalReplyMessage === message) {
      return {
        changed: false,
        detail: `the automatic reply of ${user.userPrincipalName} was already set`,
        before: current,
        after: current,
      };
    }
    await io.persist({ before: current });
    await io.graph.write('PATCH', `/users/${encodeURIComponent(user.id)}/mailboxSettings`, {
      automaticRepliesSetting: {
        status: 'alwaysEnabled',
        externalAudience: 'all',
        internalReplyMessage: message,
        externalReplyMessage: message,
      },
    });
    return {
      changed: true,
      detail: `automatic reply set on ${user.userPrincipalName}`,
      before: current,
      after: { status: 'alwaysEnabled', internalReplyMessage: message },
    };
  },

  async delete_user(io, step) {
    const user = await readUser(io.graph, step.user_id!);
    if (!user) {
      if (await readDeletedUser(io.graph, step.user_id!))
        return { changed: false, detail: 'the user was already deleted (restorable for 30 days)', before: null, after: { deleted: true } };
      throw new ActionRefused('user_gone', `the user ${step.user_id} no longer exists`, 'nothing more to do for this user');
    }
    await io.persist({ before: { deleted: false } });
    await io.graph.write('DELETE', `/users/${encodeURIComponent(user.id)}`);
    return {
      changed: true,
      detail: `${user.userPrincipalName} deleted (restorable for 30 days from Deleted users)`,
      before: { deleted: false },
      after: { deleted: true },
      document: async (trx) => {
        await markMicrosoftUserDeleted(trx, io.tenant.id, user.id, io.now());
      },
    };
  },

  async create_user(io, step) {
    const p = step.params as {
      userPrincipalName: string;
      displayName: string;
      givenName?: string;
      surname?: string;
      usageLocation: string;
      jobTitle?: string;
      department?: string;
    };
    const existing = await readUser(io.graph, p.userPrincipalName);
    if (existing) {
      // Our own earlier attempt created it (the step was running when its worker stopped).
      if (step.status === 'running' && step.secret_sealed) return createdOutcome(io, step, existing, step.secret_sealed);
      throw new ActionRefused(
        'user_exists',
        `${p.userPrincipalName} already exists in ${io.tenant.display_name}`,
        'choose another user principal name',
      );
    }
    const sealed = step.secret_sealed ?? io.secrets.seal(generatePassword());
    await io.persist({ before: { exists: false }, secretSealed: sealed });
    const created = await io.graph.write<{ id: string }>('POST', '/users', {
      accountEnabled: true,
      displayName: p.displayName,
      mailNickname: p.userPrincipalName.split('@')[0],
      userPrincipalName: p.userPrincipalName,
      usageLocation: p.usageLocation,
      ...(p.givenName ? { givenName: p.givenName } : {}),
      ...(p.surname ? { surname: p.surname } : {}),
      ...(p.jobTitle ? { jobTitle: p.jobTitle } : {}),
      ...(p.department ? { department: p.department } : {}),
      passwordProfile: { password: io.secrets.open(sealed), forceChangePasswordNextSignIn: true },
    });
    const user = (await readUser(io.graph, created?.id ?? p.userPrincipalName)) ?? (await needUser(io, p.userPrincipalName));
    return createdOutcome(io, step, user, sealed);
  },

  async document_contact(io, step) {
    const p = step.params as { userPrincipalName: string; givenName?: string; surname?: string; displayName: string; jobTitle?: string };
    const user = await needUser(io, p.userPrincipalName);
    return {
      changed: true,
      detail: `contact ${p.displayName} documented and linked to ${user.userPrincipalName}`,
      before: null,
      after: { microsoftUserId: user.id },
      document: async (trx) => {
        const organizationId = await matchedOrganizationOfTenant(trx, io.tenant.id);
        if (!organizationId) return;
        let contactId = await contactIdOfMicrosoftUser(trx, io.tenant.id, user.id);
        const [first, ...rest] = p.displayName.split(' ');
        if (!contactId) {
          const overlay = {
            userPrincipalName: user.userPrincipalName,
            displayName: user.displayName,
            userType: 'Member',
            accountEnabled: true,
            licenses: licensesOf(user.skuIds),
          };
          // Staged as docsync knows it now: the contact pages list it before any sync.
          const staged = {
            id: user.id,
            displayName: user.displayName,
            userPrincipalName: user.userPrincipalName,
            mail: user.mail,
            givenName: p.givenName ?? null,
            surname: p.surname ?? null,
            jobTitle: p.jobTitle ?? null,
            accountEnabled: user.accountEnabled,
            userType: 'Member',
            usageLocation: user.usageLocation,
            assignedLicenses: user.skuIds.map((skuId) => ({ skuId, disabledPlans: [] })),
            proxyAddresses: [],
            otherMails: [],
          };
          contactId = await insertCreatedUserContact(trx, {
            tenantId: io.tenant.id,
            organizationId,
            microsoftUserId: user.id,
            userPrincipalName: user.userPrincipalName,
            firstName: p.givenName ?? first ?? null,
            lastName: p.surname ?? (rest.join(' ') || null),
            title: p.jobTitle ?? null,
            overlay,
            staged,
            now: io.now(),
          });
        }
        await linkCreatedUserToContact(trx, {
          tenantId: io.tenant.id,
          microsoftUserId: user.id,
          contactId,
          actionId: io.action.id,
          decidedBy: io.action.requested_by_label,
          now: io.now(),
        });
      },
    };
  },

  async assign_licenses(io, step) {
    const user = await needUser(io, step.user_id ?? String(step.params.userPrincipalName));
    const wanted = (step.params.skuIds as string[]).map((s) => s.toLowerCase());
    const missing = wanted.filter((id) => !user.skuIds.includes(id));
    if (missing.length === 0)
      return {
        changed: false,
        detail: `${user.userPrincipalName} already has ${wanted.map((id) => licenseDisplayName(id)).join(', ')}`,
        before: { licenses: user.skuIds },
        after: { licenses: user.skuIds },
      };
    await io.persist({ before: { licenses: user.skuIds } });
    await io.graph.write('POST', `/users/${encodeURIComponent(user.id)}/assignLicense`, {
      addLicenses: missing.map((skuId) => ({ skuId, disabledPlans: [] })),
      removeLicenses: [],
    });
    const after = [...user.skuIds, ...missing];
    return {
      changed: true,
      detail: `${missing.map((id) => licenseDisplayName(id)).join(', ')} assigned to ${user.userPrincipalName}`,
      before: { licenses: user.skuIds },
      after: { licenses: after },
      document: (trx) => patchOverlay(trx, io.tenant.id, user.id, { licenses: licensesOf(after) }, io.now()),
    };
  },

  async add_to_groups(io, step) {
    const user = await needUser(io, step.user_id ?? String(step.params.userPrincipalName));
    const wanted = step.params.groupIds as string[];
    const current = new Set((await readMemberships(io.graph, user.id)).groups.map((g) => g.id));
    const missing = wanted.filter((id) => !current.has(id));
    if (missing.length === 0)
      return { changed: false, detail: `${user.userPrincipalName} was already in every chosen group`, before: null, after: null };
    await io.persist({ before: { groups: [...current] } });
    // The reference names the object on the configured Graph (no cloud is hard-coded).
    const base = `${io.graphBaseUrl}/v1.0`;
    for (const groupId of missing) {
      await io.graph.write('POST', `/groups/${encodeURIComponent(groupId)}/members/$ref`, {
        '@odata.id': `${base}/directoryObjects/${user.id}`,
      });
    }
    return {
      changed: true,
      detail: `${user.userPrincipalName} added to ${missing.length} group(s)`,
      before: { groups: [...current] },
      after: { added: missing },
    };
  },
};

function createdOutcome(io: StepIO, step: ActionStep, user: MicrosoftUserState, sealed: string): StepOutcome {
  return {
    changed: true,
    detail: `${user.userPrincipalName} created; its first password is in the vault (change required at first sign-in)`,
    before: { exists: false },
    after: { id: user.id, userPrincipalName: user.userPrincipalName },
    document: async (trx) => {
      const organizationId = await matchedOrganizationOfTenant(trx, io.tenant.id);
      if (organizationId) {
        await storeMicrosoftPassword(trx, {
          organizationId,
          tenantId: io.tenant.id,
          microsoftUserId: user.id,
          contactId: null,
          userPrincipalName: user.userPrincipalName,
          sealed,
          actionId: io.action.id,
          actorLabel: io.action.requested_by_label,
          now: io.now(),
        });
      }
      void step;
    },
  };
}

export function executorFor(name: string): Executor {
  const executor = executors[name as StepName];
  if (!executor) throw new Error(`unknown action step ${name}`);
  return executor;
}
