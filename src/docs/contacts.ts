// Contacts as the sync writes them: one per Microsoft user, inside the matched organization.
// Every write compares first: a contact whose fields, emails and overlay already say what
// Microsoft says is not touched (a no-change sync writes zero rows). Microsoft only ever adds:
// names, title and phone are filled from Microsoft when it has a value (a technician's entry is
// not blanked by an empty Graph field), emails are added, never removed; a user gone from
// Microsoft marks its contact "no longer in Microsoft" with the date, it is never deleted.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { stableStringify } from '../db/json.ts';

type Db = Kysely<Database>;

export interface ContactFromMicrosoft {
  microsoftUserId: string;
  firstName: string | null;
  lastName: string | null;
  title: string | null;
  phone: string | null;
  /** Primary first (mail, else the user principal name), then aliases. */
  emails: string[];
  overlay: Record<string, unknown>;
}

export interface WriteCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export const zeroWrites = (): WriteCounts => ({ created: 0, updated: 0, unchanged: 0 });

/** A contact of an organization as stored: what matching reads and what the update compares. */
export interface OrganizationContact {
  id: string;
  organizationId: string;
  firstName: string | null;
  lastName: string | null;
  title: string | null;
  phone: string | null;
  microsoftUserId: string | null;
  tenantId: string | null;
  microsoftOverlay: unknown;
  inMicrosoft: boolean;
  /** Primary first, then by address: a stable order, so decisions that quote one are stable too. */
  emails: string[];
}

/**
 * Every contact of one organization with its addresses, in two queries. Ordered by id so the
 * matching engine sees the same input every run (its reasons quote the first hit).
 */
export async function contactsOfOrganization(db: Db, organizationId: string): Promise<OrganizationContact[]> {
  const rows = await db
    .selectFrom('contacts')
    .select([
      'id',
      'organization_id',
      'first_name',
      'last_name',
      'title',
      'phone',
      'microsoft_user_id',
      'tenant_id',
      'microsoft_overlay',
      'in_microsoft',
    ])
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
  const byId = new Map<string, OrganizationContact>();
  for (const r of rows) {
    byId.set(r.id, {
      id: r.id,
      organizationId: r.organization_id,
      firstName: r.first_name,
      lastName: r.last_name,
      title: r.title,
      phone: r.phone,
      microsoftUserId: r.microsoft_user_id,
      tenantId: r.tenant_id,
      microsoftOverlay: r.microsoft_overlay,
      inMicrosoft: r.in_microsoft,
      emails: [],
    });
  }
  const emails = await db
    .selectFrom('contact_emails')
    .innerJoin('contacts', 'contacts.id', 'contact_emails.contact_id')
    .select(['contact_emails.contact_id', 'contact_emails.email'])
    .where('contacts.organization_id', '=', organizationId)
    .orderBy('contact_emails.contact_id')
    .orderBy('contact_emails.is_primary', 'desc')
    .orderBy(sql`lower(contact_emails.email)`)
    .orderBy('contact_emails.email')
    .execute();
  for (const e of emails) byId.get(e.contact_id)?.emails.push(e.email);
  return [...byId.values()];
}

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
 * Creates contacts for users the matching engine found no contact for. Returns user id → new
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
    const rows = await db
      .insertInto('contacts')
      .values(
        chunk.map((u) => ({
          organization_id: input.organizationId,
          first_name: u.firstName,
          last_name: u.lastName,
          title: u.title,
          phone: u.phone,
          microsoft_user_id: u.microsoftUserId,
          tenant_id: input.tenantId,
          microsoft_overlay: JSON.stringify(u.overlay),
          created_at: input.now,
          updated_at: input.now,
        })),
      )
      .onConflict((oc) => oc.columns(['organization_id', 'microsoft_user_id']).where('microsoft_user_id', 'is not', null).doNothing())
      .returning(['id', 'microsoft_user_id'])
      .execute();
    const emailRows: Array<{ contact_id: string; email: string; is_primary: boolean }> = [];
    const byUser = new Map(chunk.map((u) => [u.microsoftUserId, u]));
    for (const row of rows) {
      const user = byUser.get(row.microsoft_user_id!);
      if (!user) continue;
      created.set(user.microsoftUserId, row.id);
      uniqueEmails(user.emails).forEach((email, index) => emailRows.push({ contact_id: row.id, email, is_primary: index === 0 }));
    }
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
    for (let j = 0; j < emailRows.length; j += 1000) {
      await db
        .insertInto('contact_emails')
        .values(emailRows.slice(j, j + 1000))
        .onConflict((oc) => oc.doNothing())
        .execute();
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
