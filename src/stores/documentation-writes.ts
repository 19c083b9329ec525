// The sync's documentation writes: contacts (one per Microsoft user) and configurations (one per
// Intune managed device) inside the matched organization. Every write compares first: a record
// that already says what Microsoft says is not touched (a no-change sync writes zero rows), and
// what differs goes out in multi-row statements. Microsoft only ever adds: names, title and phone
// are filled from Microsoft when it has a value (a technician's entry is not blanked by an empty
// Graph field), emails are added, never removed; a user or device gone from Microsoft marks its
// record "no longer in Microsoft" with the date, it is never deleted.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { stableStringify } from '../db/json.ts';
import { zeroWrites, type ContactFromMicrosoft, type OrganizationContact, type WriteCounts } from './contacts.ts';
import { configurationColumns, type ConfigurationFromMicrosoft, type OrganizationConfiguration } from './configurations.ts';

type Db = Kysely<Database>;

// ---- contacts ----------------------------------------------------------------------------------

const overlayText = (value: unknown) => stableStringify(typeof value === 'string' ? JSON.parse(value) : (value ?? null));
const fillFrom = (microsoft: string | null, current: string | null) =>
  microsoft !== null && microsoft.trim() !== '' ? microsoft : current;

export interface ContactUpdateOutcome {
  counts: WriteCounts;
  /** A name, address or Microsoft link changed: what matching reads is different now. */
  matchingInputsChanged: boolean;
}

/**
 * Brings existing contacts in line with their Microsoft users. `links` maps contact id → the
 * user's data; `contacts` are the organization's contacts as read for matching (no second read).
 * Writes only the contacts that differ, in one statement per 500.
 */
export async function updateLinkedContacts(
  db: Db,
  input: { tenantId: string; links: Map<string, ContactFromMicrosoft>; contacts: ReadonlyMap<string, OrganizationContact>; now: Date },
): Promise<ContactUpdateOutcome> {
  const counts = zeroWrites();
  let matchingInputsChanged = false;
  // A technician moved a user to another contact: the contact that held the user lets go
  // first (one Microsoft user, one contact per organization), keeping everything else.
  const linkedContactOf = new Map([...input.links].map(([contactId, user]) => [user.microsoftUserId, contactId]));
  const released = [...input.contacts.values()]
    .filter((c) => c.microsoftUserId !== null && linkedContactOf.has(c.microsoftUserId) && linkedContactOf.get(c.microsoftUserId) !== c.id)
    .map((c) => c.id);
  if (released.length > 0) {
    await db
      .updateTable('contacts')
      .set({ microsoft_user_id: null, microsoft_overlay: null, tenant_id: null, updated_at: input.now })
      .where('id', 'in', released)
      .execute();
    counts.updated += released.length;
    matchingInputsChanged = true;
  }
  const rows: Array<Record<string, unknown>> = [];
  const emailRows: Array<{ contact_id: string; email: string; is_primary: boolean }> = [];
  for (const [contactId, user] of input.links) {
    const contact = input.contacts.get(contactId);
    if (!contact) continue;
    const next = {
      first_name: fillFrom(user.firstName, contact.firstName),
      last_name: fillFrom(user.lastName, contact.lastName),
      title: fillFrom(user.title, contact.title),
      phone: fillFrom(user.phone, contact.phone),
      microsoft_user_id: user.microsoftUserId,
      tenant_id: input.tenantId,
    };
    const reshaped =
      next.first_name !== contact.firstName || next.last_name !== contact.lastName || next.microsoft_user_id !== contact.microsoftUserId;
    const fieldsChanged =
      reshaped ||
      next.title !== contact.title ||
      next.phone !== contact.phone ||
      next.tenant_id !== contact.tenantId ||
      !contact.inMicrosoft ||
      overlayText(contact.microsoftOverlay) !== stableStringify(user.overlay);
    const known = new Set(contact.emails.map((e) => e.trim().toLowerCase()));
    const missingEmails = uniqueEmails(user.emails).filter((e) => !known.has(e.toLowerCase()));
    if (!fieldsChanged && missingEmails.length === 0) {
      counts.unchanged++;
      continue;
    }
    if (reshaped || missingEmails.length > 0) matchingInputsChanged = true;
    if (fieldsChanged) rows.push({ id: contactId, ...next, microsoft_overlay: user.overlay });
    for (const email of missingEmails)
      emailRows.push({ contact_id: contactId, email, is_primary: contact.emails.length === 0 && email === missingEmails[0] });
    counts.updated++;
  }
  for (let i = 0; i < rows.length; i += 500) {
    await sql`
      update contacts set first_name = v.first_name, last_name = v.last_name, title = v.title, phone = v.phone,
        microsoft_user_id = v.microsoft_user_id, tenant_id = v.tenant_id, microsoft_overlay = v.microsoft_overlay,
        in_microsoft = true, removed_from_microsoft_at = null, updated_at = ${input.now}
      from jsonb_to_recordset(cast(${JSON.stringify(rows.slice(i, i + 500))} as jsonb))
        as v(id uuid, first_name text, last_name text, title text, phone text, microsoft_user_id text, tenant_id uuid, microsoft_overlay
          jsonb)
      where contacts.id = v.id`.execute(db);
  }
  for (let i = 0; i < emailRows.length; i += 1000) {
    await db
      .insertInto('contact_emails')
      .values(emailRows.slice(i, i + 1000))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return { counts, matchingInputsChanged };
}

/**
 * Creates contacts for users the matching engine found no contact for (created_by_sync: their
 * "created" decision is shown by effective_match_decisions, not stored). Returns user id → new
 * contact id. The unique (organization, Microsoft user) index makes a second writer's insert a
 * no-op, so a race can never leave two contacts for one user.
 */
export async function createContacts(
  db: Db,
  input: { organizationId: string; tenantId: string; users: ContactFromMicrosoft[]; now: Date },
): Promise<{ created: Map<string, string>; counts: WriteCounts }> {
  const created = new Map<string, string>();
  const counts = zeroWrites();
  for (let i = 0; i < input.users.length; i += 500) {
    const chunk = input.users.slice(i, i + 500);
    const values = chunk.map((u) => ({
      first_name: u.firstName,
      last_name: u.lastName,
      title: u.title,
      phone: u.phone,
      microsoft_user_id: u.microsoftUserId,
      microsoft_overlay: u.overlay,
      emails: uniqueEmails(u.emails),
    }));
    // One statement writes the chunk's contacts and their addresses (primary first): one round
    // trip, and the addresses go only to contacts this statement created.
    const { rows } = await sql<{ id: string; microsoft_user_id: string }>`
      with input as (
        select * from jsonb_to_recordset(cast(${JSON.stringify(values)} as jsonb))
          as v(first_name text, last_name text, title text, phone text, microsoft_user_id text, microsoft_overlay jsonb, emails jsonb)
      ), created as (
        insert into contacts (organization_id, first_name, last_name, title, phone, microsoft_user_id, tenant_id, microsoft_overlay,
          created_by_sync, created_at, updated_at)
        select ${input.organizationId}, first_name, last_name, title, phone, microsoft_user_id, ${input.tenantId}, microsoft_overlay,
          true, ${input.now}, ${input.now}
        from input
        on conflict (organization_id, microsoft_user_id) where microsoft_user_id is not null do nothing
        returning id, microsoft_user_id
      ), addresses as (
        insert into contact_emails (contact_id, email, is_primary)
        select created.id, address.email, address.position = 1
        from created
        join input using (microsoft_user_id)
        cross join lateral jsonb_array_elements_text(input.emails) with ordinality as address(email, position)
        on conflict do nothing
      )
      select id, microsoft_user_id from created`.execute(db);
    for (const row of rows) created.set(row.microsoft_user_id, row.id);
    counts.created += rows.length;
    // Users another writer created meanwhile: link to theirs, count as unchanged.
    const lost = chunk.filter((u) => !created.has(u.microsoftUserId));
    if (lost.length > 0) {
      const theirs = await db
        .selectFrom('contacts')
        .select(['id', 'microsoft_user_id'])
        .where('organization_id', '=', input.organizationId)
        .where(
          'microsoft_user_id',
          'in',
          lost.map((u) => u.microsoftUserId),
        )
        .execute();
      for (const row of theirs) created.set(row.microsoft_user_id!, row.id);
      counts.unchanged += theirs.length;
    }
  }
  return { created, counts };
}

/** Marks the contacts of users gone from Microsoft (complete listing or delta @removed). */
export async function markContactsGone(db: Db, input: { tenantId: string; microsoftUserIds: string[]; now: Date }): Promise<number> {
  let marked = 0;
  for (let i = 0; i < input.microsoftUserIds.length; i += 1000) {
    const result = await db
      .updateTable('contacts')
      .set({ in_microsoft: false, removed_from_microsoft_at: input.now, updated_at: input.now })
      .where('tenant_id', '=', input.tenantId)
      .where('microsoft_user_id', 'in', input.microsoftUserIds.slice(i, i + 1000))
      .where('in_microsoft', '=', true)
      .executeTakeFirst();
    marked += Number(result.numUpdatedRows);
  }
  return marked;
}

function uniqueEmails(emails: string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const raw of emails) {
    const email = raw.trim();
    if (email === '' || !email.includes('@')) continue;
    const key = email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(email);
  }
  return result;
}

// ---- configurations ----------------------------------------------------------------------------

const time = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

export interface ConfigurationUpdateOutcome {
  counts: WriteCounts;
  /** A name, serial number or Intune link changed: what matching reads is different now. */
  matchingInputsChanged: boolean;
}

/**
 * Brings existing configurations (id → device) in line with Intune; writes only what differs,
 * in one statement per 500. `configurations` are the organization's, as read for matching.
 */
export async function updateLinkedConfigurations(
  db: Db,
  input: {
    tenantId: string;
    links: Map<string, ConfigurationFromMicrosoft>;
    configurations: ReadonlyMap<string, OrganizationConfiguration>;
    now: Date;
  },
): Promise<ConfigurationUpdateOutcome> {
  const counts = zeroWrites();
  let matchingInputsChanged = false;
  // A technician moved a device to another configuration: the one that held it lets go first.
  const linkedConfigurationOf = new Map([...input.links].map(([id, device]) => [device.intuneDeviceId, id]));
  const released = [...input.configurations.values()]
    .filter(
      (c) =>
        c.intuneDeviceId !== null && linkedConfigurationOf.has(c.intuneDeviceId) && linkedConfigurationOf.get(c.intuneDeviceId) !== c.id,
    )
    .map((c) => c.id);
  if (released.length > 0) {
    await db
      .updateTable('configurations')
      .set({ intune_device_id: null, tenant_id: null, updated_at: input.now })
      .where('id', 'in', released)
      .execute();
    counts.updated += released.length;
    matchingInputsChanged = true;
  }
  const changed: Array<ReturnType<typeof configurationColumns> & { id: string }> = [];
  for (const [id, device] of input.links) {
    const existing = input.configurations.get(id);
    if (!existing) continue;
    const row = existing.row;
    const next = configurationColumns(device, input.tenantId);
    // A technician's related contact stays when Intune has no primary user.
    if (next.contact_id === null) next.contact_id = row.contact_id;
    const reshaped = row.name !== next.name || row.serial_number !== next.serial_number || row.intune_device_id !== next.intune_device_id;
    const same =
      !reshaped &&
      row.tenant_id === next.tenant_id &&
      row.contact_id === next.contact_id &&
      row.manufacturer === next.manufacturer &&
      row.model === next.model &&
      row.operating_system === next.operating_system &&
      row.os_version === next.os_version &&
      row.compliance_state === next.compliance_state &&
      row.owner_type === next.owner_type &&
      time(row.enrolled_at) === time(next.enrolled_at) &&
      time(row.last_check_in_at) === time(next.last_check_in_at) &&
      row.in_microsoft;
    if (same) {
      counts.unchanged++;
      continue;
    }
    if (reshaped) matchingInputsChanged = true;
    changed.push({ id, ...next });
    counts.updated++;
  }
  for (let i = 0; i < changed.length; i += 500) {
    await sql`
      update configurations set name = v.name, serial_number = v.serial_number, intune_device_id = v.intune_device_id,
        tenant_id = v.tenant_id, contact_id = v.contact_id, manufacturer = v.manufacturer, model = v.model,
        operating_system = v.operating_system, os_version = v.os_version, compliance_state = v.compliance_state,
        owner_type = v.owner_type, enrolled_at = v.enrolled_at, last_check_in_at = v.last_check_in_at,
        in_microsoft = true, removed_from_microsoft_at = null, updated_at = ${input.now}
      from jsonb_to_recordset(cast(${JSON.stringify(changed.slice(i, i + 500))} as jsonb))
        as v(id uuid, name text, serial_number text, intune_device_id text, tenant_id uuid, contact_id uuid, manufacturer text, model text,
             operating_system text, os_version text, compliance_state text, owner_type text, enrolled_at timestamptz, last_check_in_at
               timestamptz)
      where configurations.id = v.id`.execute(db);
  }
  return { counts, matchingInputsChanged };
}

export async function createConfigurations(
  db: Db,
  input: { organizationId: string; tenantId: string; devices: ConfigurationFromMicrosoft[]; now: Date },
): Promise<{ created: Map<string, string>; counts: WriteCounts }> {
  const created = new Map<string, string>();
  const counts = zeroWrites();
  for (let i = 0; i < input.devices.length; i += 500) {
    const chunk = input.devices.slice(i, i + 500);
    const rows = await db
      .insertInto('configurations')
      .values(
        chunk.map((d) => ({
          ...configurationColumns(d, input.tenantId),
          organization_id: input.organizationId,
          // Its "created" decision is shown from this (effective_match_decisions), not stored.
          created_by_sync: true,
          created_at: input.now,
          updated_at: input.now,
        })),
      )
      .onConflict((oc) => oc.columns(['organization_id', 'intune_device_id']).where('intune_device_id', 'is not', null).doNothing())
      .returning(['id', 'intune_device_id'])
      .execute();
    for (const row of rows) created.set(row.intune_device_id!, row.id);
    counts.created += rows.length;
    counts.unchanged += chunk.length - rows.length;
  }
  return { created, counts };
}

export async function markConfigurationsGone(db: Db, input: { tenantId: string; intuneDeviceIds: string[]; now: Date }): Promise<number> {
  let marked = 0;
  for (let i = 0; i < input.intuneDeviceIds.length; i += 1000) {
    const result = await db
      .updateTable('configurations')
      .set({ in_microsoft: false, removed_from_microsoft_at: input.now, updated_at: input.now })
      .where('tenant_id', '=', input.tenantId)
      .where('intune_device_id', 'in', input.intuneDeviceIds.slice(i, i + 1000))
      .where('in_microsoft', '=', true)
      .executeTakeFirst();
    marked += Number(result.numUpdatedRows);
  }
  return marked;
}

/**
 * Holds the organization's transaction-scoped lock until the transaction ends: two tenants of one
 * organization match and write one after the other, each seeing the other's rows.
 */
export async function lockOrganizationDocumentation(trx: Db, organizationId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`docsync.organization:${organizationId}`}))`.execute(trx);
}
