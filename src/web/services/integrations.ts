// Integrations for administrators: list, create, edit name/settings/secret. Secrets go in
// through the integration store (sealed) and never come back out: views carry hasClientSecret.
import type { Kysely } from 'kysely';
import type { Clock } from '../../time.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Database, IntegrationKind } from '../../db/schema.ts';
import { recordAudit } from '../../stores/audit.ts';
import { findIntegrationSettings, integrationStats, saveIntegrationSettings } from '../../stores/integrations.ts';
import { tenantsOfIntegrationByHealth } from '../../stores/tenants.ts';
import {
  createIntegrationStore,
  secretExpiryNotices,
  type IntegrationView,
  type SecretExpiryNotice,
} from '../../microsoft/integrations.ts';
import { INACTIVE_DAYS_RANGE, syncSettingsOf, type SyncSettings } from '../../sync/settings.ts';
import { scheduleProblem } from '../../sync/schedule.ts';
import { BadInput, NotFound } from '../../errors.ts';
import type { ActionContext } from './tenant-matches.ts';
import { GUID } from '../../ids.ts';

type Deps = { db: Kysely<Database>; secrets: SecretBox; clock: Clock };

export interface IntegrationSummary {
  id: string;
  kind: IntegrationKind;
  name: string;
  tenantId: string;
  clientId: string;
  hasClientSecret: boolean;
  clientSecretExpiresAt: string | null;
  status: string;
  statusReason: string | null;
  connectedAt: string | null;
  settings: SyncSettings & { schedule: string | null };
  tenantCount: number;
  failingTenants: number;
  lastRun: { id: string; status: string; createdAt: string } | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function summarize(
  view: IntegrationView,
  stats: { tenants: number; failing: number; lastRun: IntegrationSummary['lastRun'] },
): IntegrationSummary {
  const schedule = typeof view.settings.schedule === 'string' ? view.settings.schedule : null;
  return {
    id: view.id,
    kind: view.kind,
    name: view.name,
    tenantId: view.tenantId,
    clientId: view.clientId,
    hasClientSecret: view.hasClientSecret,
    clientSecretExpiresAt: iso(view.clientSecretExpiresAt),
    status: view.status,
    statusReason: view.statusReason,
    connectedAt: iso(view.connectedAt),
    settings: { ...syncSettingsOf(view.settings), schedule },
    tenantCount: stats.tenants,
    failingTenants: stats.failing,
    lastRun: stats.lastRun,
  };
}

async function statsFor(db: Kysely<Database>, id: string) {
  const stats = await integrationStats(db, id);
  const lastRun = stats.lastRun ? { ...stats.lastRun, createdAt: stats.lastRun.createdAt.toISOString() } : null;
  return { tenants: stats.tenants, failing: stats.failing, lastRun };
}

export async function listIntegrations(deps: Deps): Promise<IntegrationSummary[]> {
  const views = await createIntegrationStore(deps).list();
  return Promise.all(views.map(async (v) => summarize(v, await statsFor(deps.db, v.id))));
}

export async function getIntegration(deps: Deps, id: string): Promise<IntegrationSummary> {
  const view = await createIntegrationStore(deps).get(id);
  return summarize(view, await statsFor(deps.db, id));
}

export { secretExpiryNotices, type SecretExpiryNotice };

export interface IntegrationInput {
  kind: IntegrationKind;
  name: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  clientSecretExpiresAt?: string | null;
  settings?: Partial<SyncSettings> & { schedule?: string | null };
}

function auditView(s: IntegrationSummary) {
  return {
    name: s.name,
    kind: s.kind,
    tenantId: s.tenantId,
    clientId: s.clientId,
    hasClientSecret: s.hasClientSecret,
    clientSecretExpiresAt: s.clientSecretExpiresAt,
    settings: s.settings,
  };
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/**
 * Settings are checked before they are stored, and the answer names the setting and what it
 * accepts: a group typed by name ("Sales Team") or a schedule that is not cron used to be stored
 * and then silently matched nothing.
 */
export function checkSettingsInput(settings: IntegrationInput['settings']): void {
  if (!settings) return;
  for (const id of settings.excludeGroupIds ?? []) {
    if (!GUID.test(id.trim())) {
      throw new BadInput(
        `Excluded groups: "${id.slice(0, 100)}" is not a group object id. Give each group's Object ID (a GUID such as ` +
          `0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0), separated by commas.`,
        "Find it in the customer's Entra admin center: Groups → the group → Object ID.",
      );
    }
  }
  for (const domain of settings.domains ?? []) {
    if (domain.trim() !== '*' && !DOMAIN.test(domain.trim())) {
      throw new BadInput(
        `Domains: "${domain.slice(0, 100)}" is not a domain name. Give domains such as contoso.com, separated by commas, or * for all.`,
      );
    }
  }
  const days = settings.inactiveDays;
  if (
    days !== undefined &&
    days !== null &&
    (!Number.isInteger(days) || days < INACTIVE_DAYS_RANGE.minimum || days > INACTIVE_DAYS_RANGE.maximum)
  )
    throw new BadInput(
      `Inactive days: ${String(days).slice(0, 20)} is not a whole number from ` +
        `${INACTIVE_DAYS_RANGE.minimum} to ${INACTIVE_DAYS_RANGE.maximum}.`,
    );
  if (typeof settings.schedule === 'string' && settings.schedule.trim() !== '') {
    const problem = scheduleProblem(settings.schedule);
    if (problem) throw new BadInput(`Schedule: ${problem}. Leave it empty for the default schedule.`);
  }
}

export async function createIntegration(deps: Deps, input: IntegrationInput, context: ActionContext): Promise<IntegrationSummary> {
  checkSettingsInput(input.settings);
  const view = await createIntegrationStore(deps).create({
    ...input,
    settings: input.settings
      ? {
          ...syncSettingsOf(input.settings),
          ...(input.settings.schedule?.trim() ? { schedule: input.settings.schedule.trim().split(/\s+/).join(' ') } : {}),
        }
      : undefined,
  });
  const summary = summarize(view, { tenants: 0, failing: 0, lastRun: null });
  await recordAudit(deps.db, {
    actor: context.actor,
    action: 'integration.create',
    subjectType: 'integration',
    subjectId: view.id,
    before: null,
    after: auditView(summary),
    requestId: context.requestId,
    at: deps.clock.now(),
  });
  return summary;
}

export interface IntegrationChanges {
  name?: string;
  clientSecret?: string;
  clientSecretExpiresAt?: string | null;
  settings?: Partial<SyncSettings> & { schedule?: string | null };
}

export async function updateIntegration(
  deps: Deps,
  id: string,
  changes: IntegrationChanges,
  context: ActionContext,
): Promise<IntegrationSummary> {
  checkSettingsInput(changes.settings);
  const store = createIntegrationStore(deps);
  const before = await getIntegration(deps, id);
  if (changes.clientSecret !== undefined) await store.updateClientSecret(id, changes.clientSecret, changes.clientSecretExpiresAt ?? null);
  if (changes.name !== undefined || changes.settings !== undefined) {
    const current = await findIntegrationSettings(deps.db, id);
    if (!current) throw new NotFound('No such integration.');
    const merged: Record<string, unknown> = { ...((current.settings ?? {}) as Record<string, unknown>) };
    if (changes.settings) {
      const { schedule, ...rest } = changes.settings;
      Object.assign(merged, syncSettingsOf({ ...syncSettingsOf(merged), ...rest }));
      if (schedule !== undefined) {
        if (schedule === null || schedule.trim() === '') delete merged.schedule;
        else merged.schedule = schedule.trim().split(/\s+/).join(' ');
      }
    }
    await saveIntegrationSettings(deps.db, id, { settings: merged, name: changes.name?.trim() }, deps.clock.now());
  }
  const after = await getIntegration(deps, id);
  await recordAudit(deps.db, {
    actor: context.actor,
    action: 'integration.update',
    subjectType: 'integration',
    subjectId: id,
    before: auditView(before),
    after: { ...auditView(after), ...(changes.clientSecret !== undefined ? { clientSecret: 'replaced' } : {}) },
    requestId: context.requestId,
    at: deps.clock.now(),
  });
  return after;
}

export interface TenantHealthRow {
  id: string;
  tenantId: string;
  displayName: string;
  health: string;
  healthReason: string | null;
  active: boolean;
  inactiveReason: string | null;
  relationshipStatus: string | null;
  relationshipEndAt: string | null;
  lastSyncAt: string | null;
  action: string | null;
}

/** Tenants of an integration with their health and the action a technician can take. */
export async function integrationTenants(
  db: Kysely<Database>,
  integrationId: string,
  page: number,
  pageSize: number,
): Promise<{ items: TenantHealthRow[]; total: number }> {
  const { rows, total } = await tenantsOfIntegrationByHealth(db, integrationId, { limit: pageSize, offset: (page - 1) * pageSize });
  return {
    total,
    items: rows.map((t) => ({
      id: t.id,
      tenantId: t.microsoft_tenant_id,
      displayName: t.display_name,
      health: t.health,
      healthReason: t.health_reason,
      active: t.active,
      inactiveReason: t.inactive_reason,
      relationshipStatus: t.relationship_status,
      relationshipEndAt: t.relationship_end_at ? new Date(t.relationship_end_at).toISOString() : null,
      lastSyncAt: t.last_sync_at ? new Date(t.last_sync_at).toISOString() : null,
      action: !t.active
        ? t.inactive_reason
        : t.health === 'failing' || t.health === 'warning'
          ? t.health_reason
          : t.health === 'unknown'
            ? 'Not synced yet: use "sync now".'
            : null,
    })),
  };
}
