// Microsoft integrations: one row per connection docsync holds (a GDAP partner connection,
// or a direct connection to one organization's own tenant). Client secrets and refresh
// tokens are sealed with the SecretBox (AES-256-GCM, key id inside) before they touch the
// database; nothing this module returns to callers outside src/microsoft carries a secret.
import type { Kysely } from 'kysely';
import type { Database, Integration, IntegrationKind, IntegrationStatus } from '../db/schema.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Clock } from '../time.ts';
import { BadInput, NotFound } from '../errors.ts';
import { DAY_MS } from '../time.ts';
import { GUID } from '../ids.ts';
import {
  allIntegrations,
  findIntegration,
  insertIntegration,
  integrationsWithSecretExpiringBy,
  markNeedsReconnect,
  replaceSealedRefreshToken,
  saveClientSecret,
  saveConnection,
  saveSecretReminderSent,
  saveStatusReason,
} from '../stores/integrations.ts';

/** Secret-expiry reminders are given this many days ahead (issue 5). */
export const SECRET_REMINDER_DAYS = [30, 7] as const;

/** What callers (web UI, API, sync) may see of an integration: no secret, no token. */
export interface IntegrationView {
  id: string;
  kind: IntegrationKind;
  name: string;
  /** gdap: the partner tenant; direct_*: the organization's own tenant. */
  tenantId: string;
  clientId: string;
  hasClientSecret: boolean;
  clientSecretExpiresAt: Date | null;
  /** A partner sign-in is stored (delegated kinds) — always false for direct_app. */
  hasRefreshToken: boolean;
  refreshTokenUpdatedAt: Date | null;
  status: IntegrationStatus;
  /** Why the status is what it is (e.g. "consent was denied: …", "the partner connection expired"). */
  statusReason: string | null;
  connectedAt: Date | null;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateIntegrationInput {
  kind: IntegrationKind;
  name: string;
  /** gdap: partner tenant id; direct_*: the organization's tenant id (GUID or verified domain). */
  tenantId: string;
  clientId: string;
  /** Required for every kind (docsync is a confidential client). */
  clientSecret: string;
  clientSecretExpiresAt?: Date | string | null;
  settings?: Record<string, unknown>;
}

/** Secrets, opened — only for the token broker and the connect flow. */
export interface IntegrationCredentials {
  integration: IntegrationView;
  clientSecret: string | null;
  refreshToken: string | null;
  /** The sealed refresh token as stored: the compare-and-swap handle for rotation. */
  sealedRefreshToken: string | null;
}

export interface SecretReminder {
  integration: IntegrationView;
  /** 30 or 7; 0 = already expired. */
  thresholdDays: number;
  daysLeft: number;
  message: string;
  action: string;
}

const DOMAIN = /^(?=.{3,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i;

export type IntegrationStore = ReturnType<typeof createIntegrationStore>;

export function createIntegrationStore(deps: { db: Kysely<Database>; secrets: SecretBox; clock: Clock }) {
  const { db, secrets, clock } = deps;

  async function row(id: string): Promise<Integration> {
    if (!GUID.test(id)) throw new NotFound(`no integration ${id}`);
    const found = await findIntegration(db, id);
    if (!found) throw new NotFound(`no integration ${id}`);
    return found;
  }

  return {
    async create(input: CreateIntegrationInput): Promise<IntegrationView> {
      const checked = validateCreate(input);
      const inserted = await insertIntegration(db, {
        kind: checked.kind,
        name: checked.name,
        partner_tenant_id: checked.tenantId,
        client_id: checked.clientId,
        client_secret_encrypted: secrets.seal(checked.clientSecret),
        client_secret_expires_at: checked.clientSecretExpiresAt,
        // App-only connections need no sign-in: the client credentials are the connection.
        status: checked.kind === 'direct_app' ? 'connected' : 'not_connected',
        connected_at: checked.kind === 'direct_app' ? clock.now() : null,
        // `as never`: schema.ts nests Json<> inside Generated<>, which hides jsonb's insert type.
        ...(input.settings ? { settings: JSON.stringify(input.settings) as never } : {}),
      });
      return toView(inserted);
    },

    async get(id: string): Promise<IntegrationView> {
      return toView(await row(id));
    },

    async list(): Promise<IntegrationView[]> {
      const rows = await allIntegrations(db);
      return rows.map(toView);
    },

    /** Opened secrets for the token broker / connect flow. Never return this from a route. */
    async credentials(id: string): Promise<IntegrationCredentials> {
      const found = await row(id);
      return {
        integration: toView(found),
        clientSecret: found.client_secret_encrypted ? secrets.open(found.client_secret_encrypted) : null,
        refreshToken: found.refresh_token_encrypted ? secrets.open(found.refresh_token_encrypted) : null,
        sealedRefreshToken: found.refresh_token_encrypted,
      };
    },

    /** A new partner sign-in (connect callback, demo): store it sealed and mark connected. */
    async storeRefreshToken(id: string, refreshToken: string): Promise<void> {
      if (!refreshToken) throw new BadInput('an empty refresh token cannot be stored');
      const now = clock.now();
      if (!(await saveConnection(db, id, secrets.seal(refreshToken), now))) throw new NotFound(`no integration ${id}`);
    },

    /**
     * Rotation: replace the stored refresh token only if it is still the one this process
     * read (compare-and-swap on the sealed value). False: another process rotated first;
     * its token is as good as ours, so keep theirs.
     */
    async replaceRefreshToken(id: string, expectedSealed: string | null, refreshToken: string): Promise<boolean> {
      return replaceSealedRefreshToken(db, id, expectedSealed, secrets.seal(refreshToken), clock.now());
    },

    /** The stored sealed refresh token now (to see whether another process rotated it). */
    async sealedRefreshToken(id: string): Promise<string | null> {
      return (await row(id)).refresh_token_encrypted;
    },

    /** A partner-level failure: keep every stored secret (nothing is lost), ask for a reconnect. */
    async markNeedsReconnect(id: string, reason: string): Promise<void> {
      await markNeedsReconnect(db, id, reason, clock.now());
    },

    /** The connect flow failed before a sign-in was stored (e.g. consent denied): say why. */
    async recordConnectFailure(id: string, reason: string): Promise<void> {
      // The status stays what it was: a failed attempt does not undo an earlier connection.
      await saveStatusReason(db, (await row(id)).id, reason, clock.now());
    },

    /** A new client secret (the old one expired or was rotated in Entra). */
    async updateClientSecret(id: string, clientSecret: string, expiresAt: Date | string | null): Promise<IntegrationView> {
      checkSecretShape(clientSecret);
      const expires = parseDate(expiresAt, 'clientSecretExpiresAt');
      const updated = await saveClientSecret(db, (await row(id)).id, secrets.seal(clientSecret), expires, clock.now());
      return toView(updated);
    },

    /** Integrations whose client secret expires within 30 / 7 days (or has expired) and have not had that reminder yet. */
    async dueSecretReminders(): Promise<SecretReminder[]> {
      const now = clock.now();
      const horizon = new Date(now.getTime() + SECRET_REMINDER_DAYS[0] * DAY_MS);
      const rows = await integrationsWithSecretExpiringBy(db, horizon);
      const reminders: SecretReminder[] = [];
      for (const found of rows) {
        const expiresAt = new Date(found.client_secret_expires_at!);
        const daysLeft = Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS));
        const thresholdDays = daysLeft === 0 ? 0 : daysLeft <= SECRET_REMINDER_DAYS[1] ? SECRET_REMINDER_DAYS[1] : SECRET_REMINDER_DAYS[0];
        if (found.client_secret_reminded_days !== null && found.client_secret_reminded_days <= thresholdDays) continue;
        const view = toView(found);
        reminders.push({
          integration: view,
          thresholdDays,
          daysLeft,
          message:
            daysLeft === 0
              ? `the client secret of integration "${view.name}" has expired`
              : `the client secret of integration "${view.name}" expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} ` +
                `(${expiresAt.toISOString().slice(0, 10)})`,
          action: "create a new secret in the Entra admin center and paste its Value (not its Secret ID) into the integration's settings",
        });
      }
      return reminders;
    },

    async markSecretReminderSent(id: string, thresholdDays: number): Promise<void> {
      await saveSecretReminderSent(db, id, thresholdDays);
    },
  };
}

export function toView(found: Integration): IntegrationView {
  return {
    id: found.id,
    kind: found.kind,
    name: found.name,
    tenantId: found.partner_tenant_id,
    clientId: found.client_id,
    hasClientSecret: found.client_secret_encrypted !== null,
    clientSecretExpiresAt: found.client_secret_expires_at ? new Date(found.client_secret_expires_at) : null,
    hasRefreshToken: found.refresh_token_encrypted !== null,
    refreshTokenUpdatedAt: found.refresh_token_updated_at ? new Date(found.refresh_token_updated_at) : null,
    status: found.status,
    statusReason: found.status_reason,
    connectedAt: found.connected_at ? new Date(found.connected_at) : null,
    settings: (found.settings ?? {}) as Record<string, unknown>,
    createdAt: new Date(found.created_at),
    updatedAt: new Date(found.updated_at),
  };
}

function validateCreate(input: CreateIntegrationInput) {
  if (!['gdap', 'direct_delegated', 'direct_app'].includes(input.kind)) {
    throw new BadInput(`kind must be gdap, direct_delegated or direct_app (got ${JSON.stringify(input.kind)})`);
  }
  const name = (input.name ?? '').trim();
  if (!name || name.length > 200) throw new BadInput('name is required (at most 200 characters)');
  const tenantId = (input.tenantId ?? '').trim().toLowerCase();
  if (!GUID.test(tenantId) && !DOMAIN.test(tenantId)) {
    throw new BadInput(
      `tenant id must be a GUID or a domain such as contoso.onmicrosoft.com (got ${JSON.stringify(input.tenantId)})`,
      'copy the Directory (tenant) ID from the Entra admin center overview',
    );
  }
  const clientId = (input.clientId ?? '').trim().toLowerCase();
  if (!GUID.test(clientId)) {
    throw new BadInput('client id must be the Application (client) ID, a GUID', "copy it from the app registration's overview page");
  }
  checkSecretShape(input.clientSecret);
  return {
    kind: input.kind,
    name,
    tenantId,
    clientId,
    clientSecret: input.clientSecret,
    clientSecretExpiresAt: parseDate(input.clientSecretExpiresAt ?? null, 'clientSecretExpiresAt'),
  };
}

function checkSecretShape(secret: string): void {
  if (typeof secret !== 'string' || secret.trim() === '') throw new BadInput('the client secret is required');
  // Entra shows a secret's "Secret ID" (a GUID) beside its "Value"; the Value is what signs in.
  if (GUID.test(secret.trim())) {
    throw new BadInput(
      'this looks like the Secret ID, not the secret Value',
      "paste the secret's Value (shown once, when the secret is created), not its Secret ID",
    );
  }
}

function parseDate(value: Date | string | null, field: string): Date | null {
  if (value === null || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new BadInput(`${field} must be a date (got ${JSON.stringify(value)})`);
  return date;
}

export interface SecretExpiryNotice {
  integrationId: string;
  integrationName: string;
  expiresAt: string;
  /** Whole days until expiry, rounded up; 0 once it has expired. */
  daysLeft: number;
  expired: boolean;
}

/**
 * Integrations whose client secret expires within the first reminder window (30 days) or has
 * expired. Unlike the store's dueSecretReminders(), which hands out each reminder once (for
 * notifications), a banner stays for as long as the secret is not replaced.
 */
export async function secretExpiryNotices(deps: { db: Kysely<Database>; secrets: SecretBox; clock: Clock }): Promise<SecretExpiryNotice[]> {
  const now = deps.clock.now().getTime();
  const notices: SecretExpiryNotice[] = [];
  for (const view of await createIntegrationStore(deps).list()) {
    if (view.status === 'disabled' || !view.hasClientSecret || !view.clientSecretExpiresAt) continue;
    const left = view.clientSecretExpiresAt.getTime() - now;
    if (left > SECRET_REMINDER_DAYS[0] * DAY_MS) continue;
    notices.push({
      integrationId: view.id,
      integrationName: view.name,
      expiresAt: view.clientSecretExpiresAt.toISOString(),
      daysLeft: Math.max(0, Math.ceil(left / DAY_MS)),
      expired: left <= 0,
    });
  }
  return notices.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
}
