// Plans: what an action would do, computed from current Microsoft data, changing nothing. Each
// planned step is "planned" (will change something), "unchanged" (already in its goal state) or
// "blocked" (docsync refuses: a protected account without override, a missing GDAP role, no free
// seats…), with a sentence saying its effect. The run re-checks everything step by step.
import type { Kysely } from 'kysely';
import type { Database, Integration, Tenant } from '../db/schema.ts';
import { BadInput } from '../errors.ts';
import { ActionRefused } from './errors.ts';
import { licenseDisplayName } from '../licensing/skus.ts';
import type { TenantGraph } from '../microsoft/graph-client.ts';
import { syncSettingsOf } from '../sync/settings.ts';
import {
  readGroup,
  readMemberships,
  readSkus,
  readUser,
  readLicensedUsers,
  readVerifiedDomains,
  type LicensedUser,
  type MicrosoftUserState,
  type SkuState,
} from './microsoft-user.ts';
import { ADMINISTRATOR_TARGET_ROLES, roleNames, rolesAllow, type ActionKind, type StepName } from './roles.ts';
import { GUID } from '../ids.ts';
import { DAY_MS } from '../time.ts';

export interface PlannedStep {
  name: StepName;
  userId: string | null;
  params: Record<string, unknown>;
  status: 'planned' | 'unchanged' | 'blocked';
  detail: string;
}

export interface Plan {
  steps: PlannedStep[];
  /** A sentence for the whole action (seats freed, the user to create…). */
  summary: string;
}

export interface PlanContext {
  graph: TenantGraph;
  db: Kysely<Database>;
  tenant: Tenant;
  integration: Integration;
  now: Date;
}

export type Override = 'partner' | 'guest' | 'excluded';
const OVERRIDES: readonly Override[] = ['partner', 'guest', 'excluded'];
const OFFBOARD_DEFAULT: StepName[] = ['block_sign_in', 'revoke_sessions', 'reset_password', 'remove_from_groups', 'remove_licenses'];
const OFFBOARD_OPTIONAL: StepName[] = [...OFFBOARD_DEFAULT, 'set_auto_reply', 'delete_user'];
const ADMIN_SENSITIVE = new Set<StepName>(['block_sign_in', 'revoke_sessions', 'reset_password', 'delete_user']);

function tenantRoles(tenant: Tenant): string[] | null {
  if (tenant.access_kind === 'direct') return null;
  return (Array.isArray(tenant.roles) ? tenant.roles : []).map((r) =>
    typeof r === 'string' ? r : String((r as { id?: unknown }).id ?? ''),
  );
}

function strings(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length < 200))
    throw new BadInput(`${what} must be a list of strings`);
  return value as string[];
}

function text(input: Record<string, unknown>, key: string, required: boolean, max = 200): string | undefined {
  const value = input[key];
  if (value === undefined || value === null || value === '') {
    if (required) throw new BadInput(`input.${key} is required`);
    return undefined;
  }
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max)
    throw new BadInput(`input.${key} must be text of at most ${max} characters`);
  return value.trim();
}

/** The users an action acts on, each with why it is protected (if it is). */
async function targets(ctx: PlanContext, userIds: string[], overrides: Override[]) {
  if (userIds.length === 0) throw new BadInput('userIds must name at least one user');
  if (userIds.length > 200) throw new BadInput('at most 200 users per action');
  const excluded = new Set(syncSettingsOf(ctx.integration.settings).excludeGroupIds.map((id) => id.toLowerCase()));
  const out: Array<{
    user: MicrosoftUserState;
    protectedBy: string | null;
    administrator: boolean;
    groups: Array<{ id: string; displayName: string }>;
  }> = [];
  for (const id of userIds) {
    if (!GUID.test(id) && !id.includes('@')) throw new BadInput(`"${id}" is not a user id`);
    const user = await readUser(ctx.graph, id);
    if (!user) throw new BadInput(`no user ${id} in ${ctx.tenant.display_name}`);
    const memberships = await readMemberships(ctx.graph, user.id);
    let protectedBy: string | null = null;
    if (ctx.tenant.microsoft_tenant_id === ctx.integration.partner_tenant_id && !overrides.includes('partner'))
      protectedBy = "an account of the partner's own tenant";
    else if (user.userType === 'Guest' && !overrides.includes('guest')) protectedBy = 'a guest account';
    else if (memberships.groups.some((g) => excluded.has(g.id.toLowerCase())) && !overrides.includes('excluded'))
      protectedBy = 'in a group the integration excludes';
    out.push({ user, protectedBy, administrator: memberships.directoryRoles.length > 0, groups: memberships.groups });
  }
  return out;
}

/** Applies the checks common to every user step: protection, the tenant's GDAP roles, administrator targets. */
function gate(
  ctx: PlanContext,
  step: PlannedStep,
  target: { user: MicrosoftUserState; protectedBy: string | null; administrator: boolean },
): PlannedStep {
  if (step.status === 'blocked') return step;
  const roles = tenantRoles(ctx.tenant);
  if (target.protectedBy) {
    const key = target.protectedBy.startsWith('a guest') ? 'guest' : target.protectedBy.startsWith('in a group') ? 'excluded' : 'partner';
    return {
      ...step,
      status: 'blocked',
      detail:
        `${target.user.userPrincipalName} is ${target.protectedBy}: docsync does not act on it unless input.overrides includes ` +
        `"${key}"`,
    };
  }
  if (!rolesAllow(step.name, roles)) {
    return {
      ...step,
      status: 'blocked',
      detail: `${step.detail} — needs the ${roleNames(step.name)} role in this customer's GDAP relationship`,
    };
  }
  if (
    target.administrator &&
    ADMIN_SENSITIVE.has(step.name) &&
    roles !== null &&
    !roles.some((r) => ADMINISTRATOR_TARGET_ROLES.includes(r))
  ) {
    return {
      ...step,
      status: 'blocked',
      detail:
        `${target.user.userPrincipalName} is an administrator: "${step.name}" needs Privileged Authentication Administrator in ` +
        `this customer's GDAP relationship`,
    };
  }
  return step;
}

export async function planAction(ctx: PlanContext, kind: ActionKind, userIds: string[], input: Record<string, unknown>): Promise<Plan> {
  const overrides = strings(input.overrides, 'input.overrides') as Override[];
  for (const o of overrides) if (!OVERRIDES.includes(o)) throw new BadInput(`input.overrides accepts ${OVERRIDES.join(', ')}`);
  switch (kind) {
    case 'offboard':
      return planOffboard(ctx, userIds, input, overrides);
    case 'onboard':
      return planOnboard(ctx, input);
    case 'license_assign':
      return planLicenses(ctx, userIds, input, overrides, 'assign');
    case 'license_remove':
      return planLicenses(ctx, userIds, input, overrides, 'remove');
    case 'license_reclaim':
      return planReclaim(ctx, userIds, input, overrides);
    case 'password_rotation': {
      const steps: PlannedStep[] = [];
      for (const t of await targets(ctx, userIds, overrides)) {
        steps.push(
          gate(
            ctx,
            {
              name: 'reset_password',
              userId: t.user.id,
              params: {},
              status: 'planned',
              detail: `${t.user.userPrincipalName}: a new password is set (change required at next sign-in) and kept in the vault`,
            },
            t,
          ),
        );
      }
      return { steps, summary: `rotate the password of ${steps.length} user(s)` };
    }
  }
}

async function planOffboard(ctx: PlanContext, userIds: string[], input: Record<string, unknown>, overrides: Override[]): Promise<Plan> {
  const chosen = input.steps === undefined ? [...OFFBOARD_DEFAULT] : (strings(input.steps, 'input.steps') as StepName[]);
  for (const s of chosen) if (!OFFBOARD_OPTIONAL.includes(s)) throw new BadInput(`input.steps accepts ${OFFBOARD_OPTIONAL.join(', ')}`);
  const autoReply = text(input, 'autoReply', false, 2000);
  if (autoReply && !chosen.includes('set_auto_reply')) chosen.push('set_auto_reply');
  if (chosen.includes('set_auto_reply') && !autoReply) throw new BadInput('set_auto_reply needs input.autoReply (the message)');
  let deleteAt: Date | null = null;
  if (input.deleteAfterDays !== undefined) {
    const days = input.deleteAfterDays;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > 365)
      throw new BadInput('input.deleteAfterDays must be a whole number of days from 0 to 365');
    deleteAt = new Date(ctx.now.getTime() + days * DAY_MS);
    if (!chosen.includes('delete_user')) chosen.push('delete_user');
  } else if (chosen.includes('delete_user')) deleteAt = ctx.now;
  const steps: PlannedStep[] = [];
  for (const t of await targets(ctx, userIds, overrides)) {
    const upn = t.user.userPrincipalName;
    for (const name of OFFBOARD_OPTIONAL.filter((n) => chosen.includes(n))) {
      const step = (status: PlannedStep['status'], detail: string, params: Record<string, unknown> = {}): PlannedStep => ({
        name,
        userId: t.user.id,
        params,
        status,
        detail,
      });
      let planned: PlannedStep;
      switch (name) {
        case 'block_sign_in':
          planned = t.user.accountEnabled
            ? step('planned', `${upn}: sign-in is blocked`)
            : step('unchanged', `${upn}: sign-in is already blocked`);
          break;
        case 'revoke_sessions':
          planned = step('planned', `${upn}: every session and refresh token is revoked`);
          break;
        case 'reset_password':
          planned = step('planned', `${upn}: a new random password is set and kept in the vault`);
          break;
        case 'remove_from_groups':
          planned = t.groups.length
            ? step('planned', `${upn}: removed from ${t.groups.map((g) => g.displayName).join(', ')}`)
            : step('unchanged', `${upn}: in no group`);
          break;
        case 'remove_licenses':
          planned = t.user.skuIds.length
            ? step(
                'planned',
                `${upn}: ${t.user.skuIds.map((id) => licenseDisplayName(id)).join(', ')} removed (${t.user.skuIds.length} seat(s) freed)`,
              )
            : step('unchanged', `${upn}: has no licence`);
          break;
        case 'set_auto_reply':
          planned = step('planned', `${upn}: automatic reply "${autoReply}"`, { message: autoReply });
          break;
        default:
          planned = step(
            'planned',
            `${upn}: deleted ${deleteAt && deleteAt > ctx.now ? `on ${deleteAt.toISOString().slice(0, 10)}` : 'at the end'} (restorable ` +
              `for 30 days)`,
            { notBefore: deleteAt?.toISOString() },
          );
      }
      steps.push(gate(ctx, planned, t));
    }
  }
  return { steps, summary: `offboard ${userIds.length} user(s): ${chosen.map((n) => n.replaceAll('_', ' ')).join(', ')}` };
}

async function planOnboard(ctx: PlanContext, input: Record<string, unknown>): Promise<Plan> {
  const displayName = text(input, 'displayName', true)!;
  const upn = text(input, 'userPrincipalName', true)!.toLowerCase();
  const usageLocation = text(input, 'usageLocation', true)!.toUpperCase();
  if (!/^[A-Z]{2}$/.test(usageLocation)) throw new BadInput('input.usageLocation is a two-letter country code (ISO 3166-1), e.g. GB');
  if (!/^[a-z0-9._'-]+@[a-z0-9.-]+$/.test(upn)) throw new BadInput('input.userPrincipalName must look like name@domain');
  const skuIds = strings(input.skuIds, 'input.skuIds').map((s) => s.toLowerCase());
  const groupIds = strings(input.groupIds, 'input.groupIds');
  const params = {
    displayName,
    userPrincipalName: upn,
    usageLocation,
    givenName: text(input, 'givenName', false),
    surname: text(input, 'surname', false),
    jobTitle: text(input, 'jobTitle', false),
    department: text(input, 'department', false),
  };
  const roles = tenantRoles(ctx.tenant);
  const roleGate = (step: PlannedStep): PlannedStep =>
    rolesAllow(step.name, roles)
      ? step
      : {
          ...step,
          status: 'blocked',
          detail: `${step.detail} — needs the ${roleNames(step.name)} role in this customer's GDAP relationship`,
        };

  const domains = await readVerifiedDomains(ctx.graph);
  const steps: PlannedStep[] = [];
  const domain = upn.split('@')[1]!;
  let create: PlannedStep = {
    name: 'create_user',
    userId: null,
    params,
    status: 'planned',
    detail: `${upn} (${displayName}, usage location ${usageLocation}) is created with a generated password, kept in the vault`,
  };
  if (!domains.includes(domain))
    create = {
      ...create,
      status: 'blocked',
      detail: `${domain} is not a verified domain of ${ctx.tenant.display_name} (verified: ${domains.join(', ')})`,
    };
  else if (await readUser(ctx.graph, upn))
    create = { ...create, status: 'blocked', detail: `${upn} already exists in ${ctx.tenant.display_name}` };
  steps.push(roleGate(create));
  steps.push({
    name: 'document_contact',
    userId: null,
    params,
    status: 'planned',
    detail: `contact ${displayName} created in the documentation at once, linked to ${upn}`,
  });
  if (skuIds.length > 0) {
    const skus = await readSkus(ctx.graph);
    const problems = seatProblems(
      skus,
      skuIds.map((id) => ({ skuId: id, count: 1 })),
    );
    steps.push(
      roleGate({
        name: 'assign_licenses',
        userId: null,
        params: { userPrincipalName: upn, skuIds },
        status: problems ? 'blocked' : 'planned',
        detail: problems ?? `${skuIds.map((id) => licenseDisplayName(id)).join(', ')} assigned`,
      }),
    );
  }
  if (groupIds.length > 0) {
    const names: string[] = [];
    const refused: string[] = [];
    for (const id of groupIds) {
      const group = GUID.test(id) ? await readGroup(ctx.graph, id) : undefined;
      if (!group) throw new BadInput(`no group ${id} in ${ctx.tenant.display_name}`);
      names.push(group.displayName);
      if (group.notManageable) refused.push(`${group.displayName}: ${group.notManageable}`);
    }
    steps.push(
      roleGate({
        name: 'add_to_groups',
        userId: null,
        params: { userPrincipalName: upn, groupIds },
        status: refused.length ? 'blocked' : 'planned',
        detail: refused.length ? `docsync cannot add members to ${refused.join('; ')}` : `added to ${names.join(', ')}`,
      }),
    );
  }
  return { steps, summary: `onboard ${displayName} <${upn}>` };
}

/** Which SKUs lack free seats for the wanted count, named; null when all fit. */
function seatProblems(skus: SkuState[], wanted: Array<{ skuId: string; count: number }>): string | null {
  const problems: string[] = [];
  for (const w of wanted) {
    const sku = skus.find((s) => s.skuId === w.skuId);
    if (!sku) problems.push(`the tenant has no subscription for ${licenseDisplayName(w.skuId)}`);
    else if (sku.enabled - sku.consumed < w.count)
      problems.push(
        `${licenseDisplayName(sku.skuId, sku.skuPartNumber)} has ${Math.max(0, sku.enabled - sku.consumed)} free seat(s), ${w.count} ` +
          `needed`,
      );
  }
  return problems.length ? problems.join('; ') : null;
}

async function planLicenses(
  ctx: PlanContext,
  userIds: string[],
  input: Record<string, unknown>,
  overrides: Override[],
  mode: 'assign' | 'remove',
): Promise<Plan> {
  const skuIds = strings(input.skuIds, 'input.skuIds').map((s) => s.toLowerCase());
  if (skuIds.length === 0) throw new BadInput('input.skuIds must name at least one licence (skuId)');
  const chosen = await targets(ctx, userIds, overrides);
  const skus = await readSkus(ctx.graph);
  const steps: PlannedStep[] = [];
  if (mode === 'assign') {
    const needs = skuIds.map((skuId) => ({ skuId, count: chosen.filter((t) => !t.user.skuIds.includes(skuId)).length }));
    const problems = seatProblems(
      skus,
      needs.filter((n) => n.count > 0),
    );
    for (const t of chosen) {
      const missing = skuIds.filter((id) => !t.user.skuIds.includes(id));
      let step: PlannedStep =
        missing.length === 0
          ? {
              name: 'assign_licenses',
              userId: t.user.id,
              params: { skuIds },
              status: 'unchanged',
              detail: `${t.user.userPrincipalName} already has them`,
            }
          : {
              name: 'assign_licenses',
              userId: t.user.id,
              params: { skuIds },
              status: 'planned',
              detail: `${t.user.userPrincipalName}: ${missing.map((id) => licenseDisplayName(id)).join(', ')} assigned`,
            };
      if (step.status === 'planned' && problems) step = { ...step, status: 'blocked', detail: problems };
      else if (step.status === 'planned' && !t.user.usageLocation)
        step = {
          ...step,
          status: 'blocked',
          detail: `${t.user.userPrincipalName} has no usage location, which Microsoft needs before licensing`,
        };
      steps.push(gate(ctx, step, t));
    }
    return { steps, summary: `assign ${skuIds.map((id) => licenseDisplayName(id)).join(', ')} to ${chosen.length} user(s)` };
  }
  for (const t of chosen) {
    const held = skuIds.filter((id) => t.user.skuIds.includes(id));
    steps.push(
      gate(
        ctx,
        held.length === 0
          ? {
              name: 'remove_licenses',
              userId: t.user.id,
              params: { skuIds },
              status: 'unchanged',
              detail: `${t.user.userPrincipalName} has none of them`,
            }
          : {
              name: 'remove_licenses',
              userId: t.user.id,
              params: { skuIds },
              status: 'planned',
              detail: `${t.user.userPrincipalName}: ${held.map((id) => licenseDisplayName(id)).join(', ')} removed`,
            },
        t,
      ),
    );
  }
  return { steps, summary: `remove ${skuIds.map((id) => licenseDisplayName(id)).join(', ')} from ${chosen.length} user(s)` };
}

/** Why a user matches the reclaim criteria, in words; null when it does not. */
function reclaimReason(user: LicensedUser, criteria: { disabled: boolean; inactiveDays: number | null }, now: Date): string | null {
  if (criteria.disabled && !user.accountEnabled) return 'sign-in blocked but licensed';
  if (criteria.inactiveDays === null) return null;
  const cutoff = now.getTime() - criteria.inactiveDays * DAY_MS;
  if (user.lastSignIn) {
    const last = Date.parse(user.lastSignIn);
    return last < cutoff ? `no sign-in since ${user.lastSignIn.slice(0, 10)} (${Math.floor((now.getTime() - last) / DAY_MS)} days)` : null;
  }
  // Never signed in: inactive once the account is older than the period.
  const created = user.createdDateTime ? Date.parse(user.createdDateTime) : NaN;
  return Number.isFinite(created) && created < cutoff ? `never signed in (created ${user.createdDateTime!.slice(0, 10)})` : null;
}

/**
 * Reclaim: the chosen users, or those Microsoft says now (read at preview time, not the last sync)
 * are disabled-but-licensed or without sign-in for N days (input.criteria), lose every licence. The
 * summary counts the seats freed per SKU and, when prices are known (input.monthlyPrices,
 * {skuId: price}), the monthly cost freed.
 */
async function planReclaim(ctx: PlanContext, userIds: string[], input: Record<string, unknown>, overrides: Override[]): Promise<Plan> {
  let ids = userIds;
  const reasons = new Map<string, string>();
  let note = '';
  const criteria = input.criteria as { disabled?: unknown; inactiveDays?: unknown } | undefined;
  if (ids.length === 0 && criteria !== undefined) {
    if (criteria === null || typeof criteria !== 'object') throw new BadInput('input.criteria must be an object');
    const inactiveDays = criteria.inactiveDays ?? null;
    if (
      inactiveDays !== null &&
      (typeof inactiveDays !== 'number' || !Number.isInteger(inactiveDays) || inactiveDays < 1 || inactiveDays > 3650)
    )
      throw new BadInput('input.criteria.inactiveDays must be a whole number of days from 1 to 3650');
    if (criteria.disabled !== undefined && typeof criteria.disabled !== 'boolean')
      throw new BadInput('input.criteria.disabled is true or false');
    const wanted = { disabled: criteria.disabled === true, inactiveDays: inactiveDays as number | null };
    if (!wanted.disabled && wanted.inactiveDays === null) throw new BadInput('input.criteria needs disabled: true, inactiveDays, or both');
    const live = await readLicensedUsers(ctx.graph, wanted.inactiveDays !== null);
    if (wanted.inactiveDays !== null && !live.signInReadable) {
      const why = "Microsoft does not give this tenant's sign-in activity (it needs Entra ID P1/P2 and the AuditLog.Read.All permission)";
      if (!wanted.disabled)
        throw new ActionRefused(
          'sign_in_activity_unavailable',
          `${why}, so "no sign-in for N days" cannot be checked`,
          'choose the users, or reclaim from disabled users',
        );
      note = ` (${why}: only disabled users were looked at)`;
      wanted.inactiveDays = null;
    }
    for (const user of live.users) {
      const reason = reclaimReason(user, wanted, ctx.now);
      if (reason) reasons.set(user.id, reason);
    }
    ids = [...reasons.keys()].slice(0, 200);
    if (ids.length === 0) return { steps: [], summary: `no licensed user matches the reclaim criteria in Microsoft now${note}` };
    if (reasons.size > 200) note += `; ${reasons.size} users match, the first 200 are in this action`;
  }
  const prices = (input.monthlyPrices ?? {}) as Record<string, unknown>;
  const chosen = await targets(ctx, ids, overrides);
  const freed = new Map<string, number>();
  const steps = chosen.map((t) => {
    const step: PlannedStep =
      t.user.skuIds.length === 0
        ? {
            name: 'remove_licenses',
            userId: t.user.id,
            params: {},
            status: 'unchanged',
            detail: `${t.user.userPrincipalName} has no licence`,
          }
        : {
            name: 'remove_licenses',
            userId: t.user.id,
            params: {},
            status: 'planned',
            detail:
              `${t.user.userPrincipalName}${reasons.has(t.user.id) ? ` (${reasons.get(t.user.id)})` : ''}: ` +
              `${t.user.skuIds.map((id) => licenseDisplayName(id)).join(', ')} reclaimed`,
          };
    const gated = gate(ctx, step, t);
    if (gated.status === 'planned') for (const id of t.user.skuIds) freed.set(id, (freed.get(id) ?? 0) + 1);
    return gated;
  });
  let total = 0;
  let priced = true;
  for (const [id, n] of freed) {
    const price = prices[id];
    if (typeof price === 'number' && price >= 0) total += price * n;
    else priced = false;
  }
  const seats = [...freed].map(([id, n]) => `${n} × ${licenseDisplayName(id)}`).join(', ') || 'none';
  // The cost only where every freed licence has a known price: a partial sum would read as the total.
  const cost = freed.size > 0 && priced ? `; monthly cost freed: ${total.toFixed(2)}` : '';
  return { steps, summary: `seats freed: ${seats}${cost}${note}` };
}
