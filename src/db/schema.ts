// Table types for kysely. Keep in step with migrations/ (the migrations are the truth).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb: pg parses it on read; on write pass JSON.stringify'd text or a value kysely serializes. */
type Json<T> = ColumnType<T, string | T, string | T>;
/** jsonb with a database default: optional on insert. (Generated<Json<T>> would hide the insert type.) */
type JsonWithDefault<T> = ColumnType<T, string | T | undefined, string | T>;
/** A generated column: read, never written (migration T1501's folded search text). */
type GeneratedAlways<T> = ColumnType<T, never, never>;

export type IntegrationKind = 'gdap' | 'direct_delegated' | 'direct_app';
export type IntegrationStatus = 'not_connected' | 'connected' | 'needs_reconnect' | 'disabled';
export type TenantHealth = 'unknown' | 'ok' | 'warning' | 'failing';
export type OrganizationMatchState = 'matched' | 'suggested' | 'unmatched' | 'ignored';
export type ItemDecision = 'match' | 'create' | 'review' | 'skip' | 'pending' | 'excluded';
export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';
export type SyncTrigger = 'schedule' | 'manual' | 'cli' | 'demo';
export type LogLevel = 'info' | 'warning' | 'error';
export type TechnicianRole = 'administrator' | 'technician' | 'read_only';

export interface IntegrationsTable {
  id: Generated<string>;
  kind: IntegrationKind;
  name: string;
  partner_tenant_id: string;
  client_id: string;
  client_secret_encrypted: string | null;
  client_secret_expires_at: Timestamp | null;
  refresh_token_encrypted: string | null;
  refresh_token_updated_at: Timestamp | null;
  status: Generated<IntegrationStatus>;
  status_reason: string | null;
  settings: JsonWithDefault<Record<string, unknown>>;
  connected_at: Timestamp | null;
  /** Last secret-expiry reminder given (30 or 7 days ahead); null after a new secret (migration T0200). */
  client_secret_reminded_days: Generated<number | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TenantsTable {
  id: Generated<string>;
  integration_id: string;
  /** Microsoft's tenant id (a GUID); every other table's `tenant_id` is a foreign key to `tenants.id` (migration 2026-12-04T0100). */
  microsoft_tenant_id: string;
  display_name: string;
  default_domain: string | null;
  domains: JsonWithDefault<unknown[]>;
  access_kind: Generated<'gdap' | 'dap' | 'direct'>;
  relationship_id: string | null;
  relationship_status: string | null;
  relationship_end_at: Timestamp | null;
  auto_extend: Generated<boolean>;
  roles: JsonWithDefault<unknown[]>;
  permissions: JsonWithDefault<Record<string, unknown>>;
  active: Generated<boolean>;
  inactive_reason: string | null;
  health: Generated<TenantHealth>;
  health_reason: string | null;
  delta_link: string | null;
  last_full_sync_at: Timestamp | null;
  last_sync_at: Timestamp | null;
  last_discovered_at: Timestamp | null;
  /** When the sync last read the usage reports (migration T0301). */
  reports_fetched_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Folded text the search matches (migration T1501). */
  search_text: GeneratedAlways<string>;
}

export interface OrganizationsTable {
  id: Generated<string>;
  name: string;
  domains: Generated<string[]>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Folded text the search matches (migration T1501). */
  search_text: GeneratedAlways<string>;
}

export interface ContactsTable {
  id: Generated<string>;
  organization_id: string;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  phone: string | null;
  microsoft_user_id: string | null;
  tenant_id: string | null;
  microsoft_overlay: Json<Record<string, unknown>> | null;
  in_microsoft: Generated<boolean>;
  removed_from_microsoft_at: Timestamp | null;
  /** docsync-only fields (migration T1500): a technician's, never written by a sync. */
  notes: string | null;
  phone_extension: string | null;
  tags: Generated<string[]>;
  /** The sync created it from microsoft_user_id (migration 2026-12-05T0100: its decision is shown, not stored). */
  created_by_sync: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Folded text the search matches (migration T1501). */
  search_text: GeneratedAlways<string>;
}

export interface ContactEmailsTable {
  id: Generated<string>;
  contact_id: string;
  email: string;
  is_primary: Generated<boolean>;
  created_at: CreatedAt;
  /** Folded text the search matches (migration T1501). */
  search_text: GeneratedAlways<string>;
}

export interface ConfigurationsTable {
  id: Generated<string>;
  organization_id: string;
  name: string;
  serial_number: string | null;
  intune_device_id: string | null;
  tenant_id: string | null;
  contact_id: string | null;
  manufacturer: string | null;
  model: string | null;
  operating_system: string | null;
  os_version: string | null;
  compliance_state: string | null;
  owner_type: string | null;
  enrolled_at: Timestamp | null;
  last_check_in_at: Timestamp | null;
  in_microsoft: Generated<boolean>;
  removed_from_microsoft_at: Timestamp | null;
  /** docsync-only fields (migration T1500): a technician's, never written by a sync. */
  notes: string | null;
  tags: Generated<string[]>;
  /** The sync created it from intune_device_id (migration 2026-12-05T0100: its decision is shown, not stored). */
  created_by_sync: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Folded text the search matches (migration T1501). */
  search_text: GeneratedAlways<string>;
}

interface StagedRecord {
  tenant_id: string;
  data: Json<Record<string, unknown>>;
  content_hash: string;
  first_seen_at: CreatedAt;
  last_seen_at: UpdatedAt;
  removed_at: Timestamp | null;
}
export interface MsUsersTable extends StagedRecord {
  user_id: string;
}
export interface MsManagedDevicesTable extends StagedRecord {
  device_id: string;
}
export interface MsMailboxesTable extends StagedRecord {
  user_principal_name: string;
}
export interface MsSubscribedSkusTable extends StagedRecord {
  sku_id: string;
}
export interface LicensePricesTable {
  id: Generated<string>;
  /** null: the global price; else this integration's override. */
  integration_id: string | null;
  sku_id: string;
  monthly_price_minor: ColumnType<string, number | string, number | string>;
  currency: string;
  updated_at: Timestamp;
  updated_by: string | null;
}
export interface TenantReportFiguresTable {
  tenant_id: string;
  figures: Json<Record<string, unknown>>;
  content_hash: string;
  computed_at: Timestamp;
}
export interface TenantSnapshotsTable {
  tenant_id: string;
  /** yyyy-mm-dd (UTC) */
  taken_on: string;
  users: number;
  enabled_users: number;
  licensed_users: number;
  inactive_users: number;
  unused_paid_seats: number;
  waste_seats: number;
  monthly_waste_minor: ColumnType<string | null, number | string | null, number | string | null>;
  currency: string | null;
  mfa_coverage: number | null;
  seats: Json<Array<Record<string, unknown>>>;
  taken_at: Timestamp;
}
/** App activity per user (usage reports), keyed by lower-case user principal name. */
export interface MsUserActivityTable extends StagedRecord {
  user_principal_name: string;
}

export interface MatchDecisionsTable {
  id: Generated<string>;
  kind: 'organization' | 'contact' | 'configuration';
  tenant_id: string;
  source_id: string;
  state: OrganizationMatchState | ItemDecision;
  target_id: string | null;
  rule: string | null;
  suggestions: JsonWithDefault<Array<{ organizationId: string; score: number }>>;
  candidates: JsonWithDefault<string[]>;
  reason: string | null;
  decided_by: Generated<string>;
  decided_by_technician: Generated<boolean>;
  decided_at: UpdatedAt;
  updated_at: UpdatedAt;
}

export interface SyncRunsTable {
  id: Generated<string>;
  integration_id: string;
  tenant_id: string | null;
  parent_run_id: string | null;
  trigger: SyncTrigger;
  requested_by: string | null;
  status: Generated<SyncRunStatus>;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  created: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  flagged: Generated<number>;
  failed: Generated<number>;
  graph_requests: Generated<number>;
  throttled: Generated<number>;
  progress_done: Generated<number>;
  progress_total: Generated<number>;
  summary: string | null;
  created_at: CreatedAt;
  // Queue columns (migration T0300): the worker holding the run and until when.
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  attempts: Generated<number>;
  not_before: Timestamp | null;
  /** What the run is doing now, for the live view: "users", "mailboxes", "writing"… */
  phase: string | null;
  error_code: string | null;
  /** A sync, or an on-demand licence refresh (migration 2026-12-05T0200): only syncs are a tenant's last sync. */
  kind: Generated<'sync' | 'license_refresh'>;
}

export interface SyncScheduleSlotsTable {
  slot_at: Timestamp;
  claimed_by: string;
  claimed_at: CreatedAt;
}

/** Per-app pacing shared by all workers (a token bucket per app registration). */
export interface GraphAppBudgetsTable {
  app_id: string;
  tokens: number;
  updated_at: Generated<Date>;
}

export interface SyncLogTable {
  id: Generated<string>;
  run_id: string;
  tenant_id: string | null;
  level: LogLevel;
  code: string;
  message: string;
  action: string | null;
  created_at: CreatedAt;
}

export interface TechniciansTable {
  id: Generated<string>;
  username: string;
  email: string | null;
  display_name: string | null;
  password_hash: string;
  role: TechnicianRole;
  disabled: Generated<boolean>;
  failed_logins: Generated<number>;
  /** A technician allowed to run lifecycle actions (administrators always may; T1600). */
  can_act: Generated<boolean>;
  locked_until: Timestamp | null;
  last_login_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** TOTP (migration T2000): the secret being enrolled, the confirmed one (both sealed), and the last step accepted. */
  totp_pending_secret_encrypted: string | null;
  totp_secret_encrypted: string | null;
  totp_confirmed_at: Timestamp | null;
  totp_last_used_step: number | null;
  /** The Entra object id (`oid`) single sign-on matched this technician to (T2001). */
  entra_object_id: string | null;
  /** How many passkeys the technician has registered (T2010), kept in step with webauthn_credentials. */
  passkey_count: Generated<number>;
}

/** A "Sign in with Microsoft" under way (T2001): single use, ten minutes. */
export interface SsoSignInsTable {
  state_hash: string;
  nonce: string;
  code_verifier_encrypted: string;
  next: string;
  redirect_uri: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

/** One-time recovery codes (T2000): only their SHA-256 is kept. */
export interface RecoveryCodesTable {
  id: Generated<string>;
  technician_id: string;
  code_hash: string;
  created_at: CreatedAt;
  used_at: Timestamp | null;
}

/** A sign-in whose password was right and whose second factor is still to come (T2000). */
export interface SignInChallengesTable {
  id_hash: string;
  technician_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

/** The installation's sign-in rules, one row with id 1 (T2000). */
export interface SecuritySettingsTable {
  id: number;
  mfa_required: Generated<boolean>;
  step_up_minutes: Generated<number>;
  /** Technicians may sign in with a discoverable passkey alone (T2010). */
  passwordless_passkeys: Generated<boolean>;
  updated_at: UpdatedAt;
}

/** A registered passkey or security key (T2010). */
export interface WebauthnCredentialsTable {
  id: Generated<string>;
  technician_id: string;
  credential_id: string;
  public_key: string;
  /** bigint: a string from node-postgres, so read it through Number(). */
  sign_count: ColumnType<string | number | bigint, number | undefined, number>;
  transports: JsonWithDefault<string[]>;
  name: string;
  discoverable: boolean;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
}

/** A WebAuthn challenge handed to a browser (T2010): single use, five minutes. */
export interface WebauthnChallengesTable {
  challenge: string;
  purpose: 'register' | 'authenticate' | 'passwordless';
  technician_id: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface SessionsTable {
  id_hash: string;
  technician_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  last_seen_at: UpdatedAt;
  expires_at: Timestamp;
  /** When this session last proved a second factor (T2000): step-up and token minting read it. */
  second_factor_at: Timestamp | null;
  /** A session that may only enrol a second factor, because an administrator requires one (T2000). */
  enrolment_only: Generated<boolean>;
}

export interface AuditLogTable {
  id: Generated<string>;
  actor_id: string | null;
  actor_label: string;
  action: string;
  subject_type: string;
  subject_id: string | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  request_id: string | null;
  created_at: CreatedAt;
}

export interface ApiTokensTable {
  id: Generated<string>;
  technician_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface SetupLinksTable {
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** Per tenant: the fingerprint of everything its documentation was last derived from (T0310). */
export interface TenantDocumentationStateTable {
  tenant_id: string;
  fingerprint: string;
  valid_until: Timestamp | null;
  summary: Json<unknown>;
  updated_at: UpdatedAt;
  /** Domains and excluded group members the last full pass read (migration T1510). */
  inputs: Json<unknown> | null;
}

/** Per scope (tenant row or organization) and writer: how often it was written (T0500). */
export interface DocumentationRevisionsTable {
  scope_id: string;
  writer: string;
  /** bigint: drivers return it as a string. */
  revision: string;
}

export type ActionStatus = 'preview' | 'queued' | 'running' | 'succeeded' | 'failed' | 'partial';
export type ActionStepStatus = 'planned' | 'unchanged' | 'blocked' | 'pending' | 'running' | 'done' | 'failed' | 'not_run';
/** Lifecycle actions (T1600): a plan of steps for one tenant, run by the workers. */
export interface ActionsTable {
  id: Generated<string>;
  kind: string;
  integration_id: string;
  tenant_id: string;
  user_ids: JsonWithDefault<string[]>;
  input: JsonWithDefault<Record<string, unknown>>;
  status: ActionStatus;
  summary: Generated<string>;
  requested_by: string | null;
  requested_by_label: string;
  error_code: string | null;
  error_message: string | null;
  error_action: string | null;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  attempts: Generated<number>;
  not_before: Timestamp | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}
export interface ActionStepsTable {
  action_id: string;
  position: number;
  name: string;
  user_id: string | null;
  params: JsonWithDefault<Record<string, unknown>>;
  status: ActionStepStatus;
  detail: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  secret_sealed: string | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}
/** Documentation passwords per organization, sealed with the key ring (T1600). */
export interface VaultEntriesTable {
  id: Generated<string>;
  organization_id: string;
  contact_id: string | null;
  tenant_id: string | null;
  microsoft_user_id: string | null;
  name: string;
  username: string | null;
  secret_sealed: string;
  source: 'manual' | 'action';
  action_id: string | null;
  created_by_label: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}
/** Per Microsoft user: MFA registration as userRegistrationDetails last said (T0400, issue 17). */
export interface MsUserRegistrationDetailsTable {
  tenant_id: string;
  user_id: string;
  user_principal_name: string | null;
  is_admin: boolean;
  is_mfa_registered: boolean;
  is_mfa_capable: boolean;
  methods_registered: JsonWithDefault<string[]>;
  default_method: string | null;
  data: Json<Record<string, unknown>>;
  content_hash: string;
  first_seen_at: CreatedAt;
  last_seen_at: UpdatedAt;
  removed_at: Timestamp | null;
}
export type TenantMfaState = 'available' | 'no_license' | 'permission_missing';
/** Per tenant: whether its MFA registration report can be read, and why not (T0400). */
export interface TenantMfaStatusTable {
  tenant_id: string;
  state: TenantMfaState;
  reason: string | null;
  action: string | null;
  changed_at: UpdatedAt;
}
export type GroupType = 'microsoft365' | 'security' | 'mail_security' | 'distribution' | 'other';
/** A customer tenant's group as groups/delta last said (T0401, issue 17). */
export interface MsGroupsTable {
  tenant_id: string;
  group_id: string;
  display_name: string | null;
  group_type: GroupType;
  data: Json<Record<string, unknown>>;
  content_hash: string;
  first_seen_at: CreatedAt;
  last_seen_at: UpdatedAt;
  removed_at: Timestamp | null;
}
/** A direct member of a group (a user or a nested group) (T0401). */
export interface MsGroupMembersTable {
  tenant_id: string;
  group_id: string;
  member_id: string;
  member_type: string;
  first_seen_at: CreatedAt;
}
/** Per tenant: the groups change feed's deltaLink (T0401). */
export interface TenantGroupSyncTable {
  tenant_id: string;
  delta_link: string | null;
  synced_at: UpdatedAt;
}
/** Scheduled password rotation per Microsoft user (T0700). */
export interface PasswordRotationSchedulesTable {
  id: Generated<string>;
  tenant_id: string;
  microsoft_user_id: string;
  user_principal_name: string;
  interval_days: number;
  next_rotation_at: Timestamp;
  last_rotated_at: Timestamp | null;
  last_action_id: string | null;
  problem: string | null;
  created_by: string | null;
  created_by_label: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}
export interface Database {
  ms_groups: MsGroupsTable;
  ms_group_members: MsGroupMembersTable;
  tenant_group_sync: TenantGroupSyncTable;
  ms_user_registration_details: MsUserRegistrationDetailsTable;
  tenant_mfa_status: TenantMfaStatusTable;
  actions: ActionsTable;
  password_rotation_schedules: PasswordRotationSchedulesTable;
  action_steps: ActionStepsTable;
  vault_entries: VaultEntriesTable;
  integrations: IntegrationsTable;
  tenants: TenantsTable;
  organizations: OrganizationsTable;
  contacts: ContactsTable;
  contact_emails: ContactEmailsTable;
  configurations: ConfigurationsTable;
  ms_users: MsUsersTable;
  ms_managed_devices: MsManagedDevicesTable;
  ms_mailboxes: MsMailboxesTable;
  ms_subscribed_skus: MsSubscribedSkusTable;
  ms_user_activity: MsUserActivityTable;
  license_prices: LicensePricesTable;
  tenant_report_figures: TenantReportFiguresTable;
  tenant_snapshots: TenantSnapshotsTable;
  match_decisions: MatchDecisionsTable;
  /**
   * A view (migration 2026-12-05T0100): match_decisions plus the "created" decisions of contacts and
   * configurations the sync created, which are not stored. Read decisions here; write match_decisions.
   */
  effective_match_decisions: MatchDecisionsTable;
  sync_runs: SyncRunsTable;
  sync_log: SyncLogTable;
  sync_schedule_slots: SyncScheduleSlotsTable;
  graph_app_budgets: GraphAppBudgetsTable;
  technicians: TechniciansTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  tenant_documentation_state: TenantDocumentationStateTable;
  documentation_revisions: DocumentationRevisionsTable;
  api_tokens: ApiTokensTable;
  setup_links: SetupLinksTable;
  recovery_codes: RecoveryCodesTable;
  sign_in_challenges: SignInChallengesTable;
  security_settings: SecuritySettingsTable;
  sso_sign_ins: SsoSignInsTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
}

export type Integration = Selectable<IntegrationsTable>;
export type NewIntegration = Insertable<IntegrationsTable>;
export type IntegrationUpdate = Updateable<IntegrationsTable>;
export type Tenant = Selectable<TenantsTable>;
export type Organization = Selectable<OrganizationsTable>;
export type Contact = Selectable<ContactsTable>;
export type Configuration = Selectable<ConfigurationsTable>;
export type MatchDecision = Selectable<MatchDecisionsTable>;
export type SyncRun = Selectable<SyncRunsTable>;
export type SyncLogLine = Selectable<SyncLogTable>;
export type Technician = Selectable<TechniciansTable>;
export type Action = Selectable<ActionsTable>;
export type ActionStep = Selectable<ActionStepsTable>;
export type VaultEntry = Selectable<VaultEntriesTable>;
