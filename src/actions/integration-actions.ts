// Turning lifecycle actions on or off for one integration (administrators), and what each of its
// tenants' GDAP relationships allows. Enabling returns, per tenant, the admin-consent link that
// grants the write permissions (README: "Lifecycle actions"); actions stay refused by Microsoft
// (403, translated) in a tenant until that consent is given.
import type { Kysely } from 'kysely';
import { recordAudit } from '../stores/audit.ts';
import { findIntegration, lockIntegrationSettings, saveIntegrationSettings } from '../stores/integrations.ts';
import { activeTenantsOfIntegration } from '../stores/tenants.ts';
import type { Database } from '../db/schema.ts';
import { NotFound } from '../errors.ts';
import { actionsEnabled } from './engine.ts';
import type { Actor } from './permission.ts';
import { actionsAllowed, WRITE_SCOPES, type ActionKind } from './roles.ts';

export interface IntegrationActionsView {
  enabled: boolean;
  scopes: string[];
  tenants: Array<{ id: string; displayName: string; consentUrl: string; allowed: Record<ActionKind, boolean> }>;
}

export async function integrationActions(
  db: Kysely<Database>,
  integrationId: string,
  microsoft: { authorityHost: string; graphBaseUrl: string },
): Promise<IntegrationActionsView> {
  const integration = await findIntegration(db, integrationId);
  if (!integration) throw new NotFound('No such integration.');
  const tenants = await activeTenantsOfIntegration(db, integrationId);
  const scope = ['offline_access', ...WRITE_SCOPES.map((s) => `${microsoft.graphBaseUrl}/${s}`)].join(' ');
  return {
    enabled: actionsEnabled(integration.settings),
    scopes: [...WRITE_SCOPES],
    tenants: tenants.map((t) => {
      const url = new URL(`${microsoft.authorityHost}/${encodeURIComponent(t.microsoft_tenant_id)}/adminconsent`);
      url.searchParams.set('client_id', integration.client_id);
      url.searchParams.set('scope', scope);
      const roles =
        t.access_kind === 'direct'
          ? null
          : (t.roles as Array<{ id?: string } | string>).map((r) => (typeof r === 'string' ? r : String(r.id ?? '')));
      return { id: t.id, displayName: t.display_name, consentUrl: url.toString(), allowed: actionsAllowed(roles) };
    }),
  };
}

export async function setActionsEnabled(
  db: Kysely<Database>,
  actor: Actor,
  integrationId: string,
  enabled: boolean,
  now: Date,
  microsoft: { authorityHost: string; graphBaseUrl: string },
): Promise<IntegrationActionsView> {
  await db.transaction().execute(async (trx) => {
    const integration = await lockIntegrationSettings(trx, integrationId);
    if (!integration) throw new NotFound('No such integration.');
    const before = actionsEnabled(integration.settings);
    const settings = {
      ...((integration.settings ?? {}) as Record<string, unknown>),
      actions: { enabled, changedBy: actor.label, changedAt: now.toISOString() },
    };
    await saveIntegrationSettings(trx, integrationId, { settings }, now);
    await recordAudit(trx, {
      actor: { id: actor.id, label: actor.label },
      action: 'integration.actions',
      subjectType: 'integration',
      subjectId: integrationId,
      before: { enabled: before },
      after: { enabled },
      at: now,
    });
  });
  return integrationActions(db, integrationId, microsoft);
}
