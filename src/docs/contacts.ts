// Contacts as the sync writes them: one per Microsoft user, inside the matched organization.
// Every write compares first: a contact whose fields, emails and overlay already say what
// Microsoft says is not touched (a no-change sync writes zero rows). Microsoft only ever adds:
// names, title and phone are filled from Microsoft when it has a value (a technician's entry is
// not blanked by an empty Graph field), emails are added, never removed; a user gone from
// Microsoft marks its contact "no longer in Microsoft" with the date, it is never deleted.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { stableStringify } from '../sync/staging.ts';

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

interface ExistingContact {
  id: string;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  phone: string | null;
  microsoft_user_id: string | null;
  tenant_id: string | null;
  microsoft_overlay: unknown;
  in_microsoft: boolean;
  removed_from_microsoft_at: Date | null;
  emails: string[];
}

async function loadContacts(db: Db, ids: string[]): Promise<Map<string, ExistingContact>> {
  const result = new Map<string, ExistingContact>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const rows = await db
      .selectFrom('contacts')
      .select(['id', 'first_name', 'last_name', 'title', 'phone', 'microsoft_user_id', 'tenant_id', 'microsoft_overlay', 'in_microsoft', 'removed_from_microsoft_at'])
      .where('id', 'in', chunk)
      .execute();
    for (const row of rows) result.set(row.id, { ...row, emails: [] });
    const emails = await db.selectFrom('contact_emails').select(['contact_id', 'email']).where('contact_id', 'in', chunk).execute();
    for (const e of emails) result.get(e.contact_id)?.emails.push(e.email);
  }
  return result;
}

const overlayText = (value: unknown) => stableStringify(typeof value === 'string' ? JSON.parse(value) : (value ?? null));
const fillFrom = (microsoft: string | null, current: string | null) => (microsoft !== null && microsoft.trim() !== '' ? microsoft : current);

/**
 * Brings existing contacts in line with their Microsoft users. `links` maps contact id → the
 * user's data. Returns the counts and writes only the contacts that differ.
 */
export async function updateLinkedContacts(db: Db, input: { tenantRowId: string; links: Map<string, ContactFromMicrosoft> }): Promise<WriteCounts> {
  const counts = zeroWrites();
  const existing = await loadContacts(db, [...input.links.keys()]);
  for (const [contactId, user] of input.links) {
    const contact = existing.get(contactId);
    if (!contact) continue;
    const next = {
      first_name: fillFrom(user.firstName, contact.first_name),
      last_name: fillFrom(user.lastName, contact.last_name),
      title: fillFrom(user.title, contact.title),
      phone: fillFrom(user.phone, contact.phone),
      microsoft_user_id: user.microsoftUserId,
      tenant_id: input.tenantRowId,
    };
    const fieldsChanged =
      next.first_name !== contact.first_name ||
      next.last_name !== contact.last_name ||
      next.title !== contact.title ||
      next.phone !== contact.phone ||
      next.microsoft_user_id !== contact.microsoft_user_id ||
      next.tenant_id !== contact.tenant_id ||
      !contact.in_microsoft ||
      overlayText(contact.microsoft_overlay) !== stableStringify(user.overlay);
    const known = new Set(contact.emails.map((e) => e.trim().toLowerCase()));
    const missingEmails = uniqueEmails(user.emails).filter((e) => !known.has(e.toLowerCase()));
    if (!fieldsChanged && missingEmails.length === 0) {
      counts.unchanged++;
      continue;
    }
    if (fieldsChanged) {
      await db
        .updateTable('contacts')
        .set({ ...next, microsoft_overlay: JSON.stringify(user.overlay), in_microsoft: true, removed_from_microsoft_at: null, updated_at: new Date() })
        .where('id', '=', contactId)
        .execute();
    }
    if (missingEmails.length > 0) {
      await db
        .insertInto('contact_emails')
        .values(missingEmails.map((email) => ({ contact_id: contactId, email, is_primary: contact.emails.length === 0 && email === missingEmails[0] })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    counts.updated++;
  }
  return counts;
}

/**
 * Creates contacts for users the matching engine found no contact for. Returns user id → new
 * contact id. The unique (organization, Microsoft user) index makes a second writer's insert a
 * no-op, so a race can never leave two contacts for one user.
 */
export async function createContacts(
  db: Db,
  input: { organizationId: string; tenantRowId: string; users: ContactFromMicrosoft[]; now: Date },
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
          tenant_id: input.tenantRowId,
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
        .where('microsoft_user_id', 'in', lost.map((u) => u.microsoftUserId))
        .execute();
      for (const row of theirs) created.set(row.microsoft_user_id!, row.id);
      counts.unchanged += theirs.length;
    }
    for (let j = 0; j < emailRows.length; j += 1000) {
      await db.insertInto('contact_emails').values(emailRows.slice(j, j + 1000)).onConflict((oc) => oc.doNothing()).execute();
    }
  }
  return { created, counts };
}

/** Marks the contacts of users gone from Microsoft (complete listing or delta @removed). */
export async function markContactsGone(db: Db, input: { tenantRowId: string; microsoftUserIds: string[]; now: Date }): Promise<number> {
  let marked = 0;
  for (let i = 0; i < input.microsoftUserIds.length; i += 1000) {
    const result = await db
      .updateTable('contacts')
      .set({ in_microsoft: false, removed_from_microsoft_at: input.now, updated_at: input.now })
      .where('tenant_id', '=', input.tenantRowId)
      .where('microsoft_user_id', 'in', input.microsoftUserIds.slice(i, i + 1000))
      .where('in_microsoft', '=', true)
      .executeTakeFirst();
    marked += Number(result.numUpdatedRows);
  }
  return marked;
}

export interface ContactForMatching {
  id: string;
  organizationId: string;
  firstName: string | null;
  lastName: string | null;
  emails: string[];
  microsoftUserId: string | null;
}

export async function contactsOfOrganization(db: Db, organizationId: string): Promise<ContactForMatching[]> {
  const rows = await db
    .selectFrom('contacts')
    .select(['id', 'organization_id', 'first_name', 'last_name', 'microsoft_user_id'])
    .where('organization_id', '=', organizationId)
    .execute();
  const byId = new Map<string, ContactForMatching>(
    rows.map((r) => [r.id, { id: r.id, organizationId: r.organization_id, firstName: r.first_name, lastName: r.last_name, emails: [], microsoftUserId: r.microsoft_user_id }]),
  );
  const emails = await db
    .selectFrom('contact_emails')
    .innerJoin('contacts', 'contacts.id', 'contact_emails.contact_id')
    .select(['contact_emails.contact_id', 'contact_emails.email'])
    .where('contacts.organization_id', '=', organizationId)
    .execute();
  for (const e of emails) byId.get(e.contact_id)?.emails.push(e.email);
  return [...byId.values()];
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
