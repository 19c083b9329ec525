// Indexes for the tenant pages at 100k users (npm run bench -- web-pages): the contacts list
// sorts a tenant's users by display name, and the overlay lists a user's devices.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('ms_users_tenant_display_name_index')
    .on('ms_users')
    .expression(sql`tenant_id, lower(coalesce(data->>'displayName', data->>'userPrincipalName', '')), user_id`)
    .execute();
  await db.schema
    .createIndex('ms_managed_devices_tenant_user_index')
    .on('ms_managed_devices')
    .expression(sql`tenant_id, (data->>'userId')`)
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
