// First cut of docsync's tables: integrations and their customer tenants, the documentation
// (organizations, contacts, configurations), Microsoft records as staged, match decisions,
// sync runs and their log, technicians, sessions and the audit log.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  const uuid = sql`gen_random_uuid()`;

  await db.schema
    .createTable('integrations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('gdap', 'direct_delegated', 'direct_app')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('partner_tenant_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_secret_encrypted', 'text')
    .addColumn('client_secret_expires_at', 'timestamptz')
    .addColumn('refresh_token_encrypted', 'text')
    .addColumn('refresh_token_updated_at', 'timestamptz')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('not_connected')
        .check(sql`status in ('not_connected', 'connected', 'needs_reconnect', 'disabled')`),
    )
    .addColumn('status_reason', 'text')
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('connected_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('integration_id', 'uuid', (c) => c.notNull().references('integrations.id'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('default_domain', 'text')
    .addColumn('domains', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('access_kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('gdap')
        .check(sql`access_kind in ('gdap', 'dap', 'direct')`),
    )
    .addColumn('relationship_id', 'text')
    .addColumn('relationship_status', 'text')
    .addColumn('relationship_end_at', 'timestamptz')
    .addColumn('auto_extend', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('roles', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('permissions', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('inactive_reason', 'text')
    .addColumn('health', 'text', (c) =>
      c
        .notNull()
        .defaultTo('unknown')
        .check(sql`health in ('unknown', 'ok', 'warning', 'failing')`),
    )
    .addColumn('health_reason', 'text')
    .addColumn('delta_link', 'text')
    .addColumn('last_full_sync_at', 'timestamptz')
    .addColumn('last_sync_at', 'timestamptz')
    .addColumn('last_discovered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('tenants_integration_tenant_unique', ['integration_id', 'tenant_id'])
    .execute();

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('domains', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createIndex('organizations_name_index')
    .on('organizations')
    .expression(sql`lower(name)`)
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id'))
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('title', 'text')
    .addColumn('phone', 'text')
    .addColumn('microsoft_user_id', 'text')
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id'))
    // The Microsoft overlay: enabled, last sign-in, last password change, licenses, mailbox, inactive.
    .addColumn('microsoft_overlay', 'jsonb')
    .addColumn('in_microsoft', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('removed_from_microsoft_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('contacts_organization_index').on('contacts').column('organization_id').execute();
  await db.schema
    .createIndex('contacts_microsoft_user_unique')
    .on('contacts')
    .columns(['organization_id', 'microsoft_user_id'])
    .unique()
    .where(sql.ref('microsoft_user_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('contact_emails')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('is_primary', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createIndex('contact_emails_unique')
    .on('contact_emails')
    .expression(sql`contact_id, lower(email)`)
    .unique()
    .execute();
  await db.schema
    .createIndex('contact_emails_email_index')
    .on('contact_emails')
    .expression(sql`lower(email)`)
    .execute();

  await db.schema
    .createTable('configurations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('serial_number', 'text')
    .addColumn('intune_device_id', 'text')
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id'))
    .addColumn('contact_id', 'uuid', (c) => c.references('contacts.id'))
    .addColumn('manufacturer', 'text')
    .addColumn('model', 'text')
    .addColumn('operating_system', 'text')
    .addColumn('os_version', 'text')
    .addColumn('compliance_state', 'text')
    .addColumn('owner_type', 'text')
    .addColumn('enrolled_at', 'timestamptz')
    .addColumn('last_check_in_at', 'timestamptz')
    .addColumn('in_microsoft', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('removed_from_microsoft_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('configurations_organization_index').on('configurations').column('organization_id').execute();
  await db.schema
    .createIndex('configurations_intune_device_unique')
    .on('configurations')
    .columns(['organization_id', 'intune_device_id'])
    .unique()
    .where(sql.ref('intune_device_id'), 'is not', null)
    .execute();

  // Microsoft records as last fetched, one table per resource. `data` holds the parsed
  // Graph object; `content_hash` lets a re-sync skip unchanged rows without comparing JSON.
  for (const [table, key] of [
    ['ms_users', 'user_id'],
    ['ms_managed_devices', 'device_id'],
    ['ms_mailboxes', 'user_principal_name'],
    ['ms_subscribed_skus', 'sku_id'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
      .addColumn(key, 'text', (c) => c.notNull())
      .addColumn('data', 'jsonb', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('removed_at', 'timestamptz')
      .addPrimaryKeyConstraint(`${table}_pkey`, ['tenant_id', key])
      .execute();
  }

  await db.schema
    .createTable('match_decisions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('organization', 'contact', 'configuration')`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    // Tenant GUID, Microsoft user id or Intune device id.
    .addColumn('source_id', 'text', (c) => c.notNull())
    // organization: matched | suggested | unmatched | ignored; contact / configuration:
    // match | create | review | skip | pending | excluded.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('target_id', 'uuid')
    .addColumn('rule', 'text')
    .addColumn('suggestions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('candidates', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('reason', 'text')
    // 'sync' for the engine; a technician id when a person decided (then sync never overrides).
    .addColumn('decided_by', 'text', (c) => c.notNull().defaultTo('sync'))
    .addColumn('decided_by_technician', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('match_decisions_unique', ['kind', 'tenant_id', 'source_id'])
    .execute();
  await db.schema.createIndex('match_decisions_state_index').on('match_decisions').columns(['kind', 'state']).execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('integration_id', 'uuid', (c) => c.notNull().references('integrations.id'))
    // Null on the integration-wide run; set on each per-tenant run (with parent_run_id).
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id'))
    .addColumn('parent_run_id', 'uuid', (c) => c.references('sync_runs.id').onDelete('cascade'))
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('schedule', 'manual', 'cli', 'demo')`))
    .addColumn('requested_by', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('queued')
        .check(sql`status in ('queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled')`),
    )
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('flagged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('graph_requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('throttled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('progress_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('progress_total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('summary', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('sync_runs_integration_index').on('sync_runs').columns(['integration_id', 'created_at']).execute();
  await db.schema.createIndex('sync_runs_parent_index').on('sync_runs').column('parent_run_id').execute();

  await db.schema
    .createTable('sync_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'uuid', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id'))
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('info', 'warning', 'error')`))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('action', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('sync_log_run_index').on('sync_log').columns(['run_id', 'id']).execute();

  await db.schema
    .createTable('technicians')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('display_name', 'text')
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('administrator', 'technician', 'read_only')`))
    .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('last_login_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createIndex('technicians_username_unique')
    .on('technicians')
    .expression(sql`lower(username)`)
    .unique()
    .execute();

  await db.schema
    .createTable('sessions')
    // SHA-256 of the cookie value: a database leak does not hand out live sessions.
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('technician_id', 'uuid', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_technician_index').on('sessions').column('technician_id').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('actor_id', 'uuid')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('request_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('audit_log_created_index').on('audit_log').column('created_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
