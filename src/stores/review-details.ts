// What a technician needs to decide a contact review: each candidate contact in full (emails,
// title, phone, devices, created/updated, where its record is), which Microsoft user a contact
// already belongs to, and what kind of mailbox each user has (rooms, equipment, shared).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { resourceKindOf, type ResourceMailboxKind } from '../microsoft/mailbox-kinds.ts';

type Db = Kysely<Database>;

export interface CandidateContactDetail {
  id: string;
  name: string;
  emails: string[];
  title: string | null;
  phone: string | null;
  devices: string[];
  createdAt: string;
  updatedAt: string;
  /** The page where the contact's record is: its Microsoft user when linked, else the organization's contact list. */
  url: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Devices named per candidate: enough to tell namesakes apart, not a device list. */
const DEVICES_PER_CONTACT = 10;

export async function candidateContactDetails(db: Db, ids: string[]): Promise<Map<string, CandidateContactDetail>> {
  const valid = [...new Set(ids.filter((id) => UUID.test(id)))];
  const map = new Map<string, CandidateContactDetail>();
  if (valid.length === 0) return map;
  const [rows, emails, devices] = await Promise.all([
    db
      .selectFrom('contacts')
      .select([
        'id',
        'organization_id',
        'first_name',
        'last_name',
        'title',
        'phone',
        'phone_extension',
        'tenant_id',
        'microsoft_user_id',
        'in_microsoft',
        'created_at',
        'updated_at',
      ])
      .where('id', 'in', valid)
      .execute(),
    db
      .selectFrom('contact_emails')
      .select(['contact_id', 'email'])
      .where('contact_id', 'in', valid)
      .orderBy('is_primary', 'desc')
      .orderBy('email')
      .execute(),
    db
      .selectFrom('configurations')
      .select(['contact_id', 'name'])
      .where('contact_id', 'in', valid)
      .where('removed_from_microsoft_at', 'is', null)
      .orderBy(sql`lower(name)`)
      .execute(),
  ]);
  const emailsOf = new Map<string, string[]>();
  for (const e of emails) emailsOf.set(e.contact_id, [...(emailsOf.get(e.contact_id) ?? []), e.email]);
  const devicesOf = new Map<string, string[]>();
  for (const d of devices) {
    const list = devicesOf.get(d.contact_id!) ?? [];
    if (list.length < DEVICES_PER_CONTACT) list.push(d.name);
    devicesOf.set(d.contact_id!, list);
  }
  for (const r of rows) {
    const contactEmails = emailsOf.get(r.id) ?? [];
    const linked = r.in_microsoft && r.tenant_id && r.microsoft_user_id;
    const fullName = [r.first_name, r.last_name].filter(Boolean).join(' ');
    map.set(r.id, {
      id: r.id,
      name: fullName || '(no name)',
      emails: contactEmails,
      title: r.title,
      phone: r.phone ? (r.phone_extension ? `${r.phone} ext. ${r.phone_extension}` : r.phone) : null,
      devices: devicesOf.get(r.id) ?? [],
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      url: linked
        ? `/tenants/${r.tenant_id}/users/${encodeURIComponent(r.microsoft_user_id!)}`
        : `/organizations/${r.organization_id}/contacts?search=${encodeURIComponent(contactEmails[0] ?? fullName)}`,
    });
  }
  return map;
}

export interface ContactHolder {
  tenantId: string;
  userId: string;
  displayName: string;
  userPrincipalName: string | null;
}

/**
 * The Microsoft users, other than the given one, a contact already belongs to: the user it is
 * linked to, and users whose decision matches them to it. Giving the contact to one more user
 * would document two people as one.
 */
export async function otherHoldersOfContact(
  db: Db,
  contactId: string,
  except: { tenantId: string; userId: string },
): Promise<ContactHolder[]> {
  const [contact, decisions] = await Promise.all([
    db.selectFrom('contacts').select(['tenant_id', 'microsoft_user_id']).where('id', '=', contactId).executeTakeFirst(),
    db
      .selectFrom('match_decisions')
      .select(['tenant_id', 'source_id'])
      .where('kind', '=', 'contact')
      .where('state', '=', 'match')
      .where('target_id', '=', contactId)
      .execute(),
  ]);
  const keys = new Map<string, { tenantId: string; userId: string }>();
  const add = (tenantId: string | null, userId: string | null) => {
    if (!tenantId || !userId || (tenantId === except.tenantId && userId === except.userId)) return;
    keys.set(`${tenantId}/${userId}`, { tenantId, userId });
  };
  add(contact?.tenant_id ?? null, contact?.microsoft_user_id ?? null);
  for (const d of decisions) add(d.tenant_id, d.source_id);
  const holders: ContactHolder[] = [];
  for (const key of keys.values()) {
    const user = await db
      .selectFrom('ms_users')
      .select('data')
      .where('tenant_id', '=', key.tenantId)
      .where('user_id', '=', key.userId)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    // A user gone from Microsoft no longer holds anything: the contact is free for another.
    if (!user) continue;
    const data = (user.data ?? {}) as Record<string, unknown>;
    const upn = typeof data.userPrincipalName === 'string' ? data.userPrincipalName : null;
    holders.push({
      ...key,
      displayName: typeof data.displayName === 'string' ? data.displayName : (upn ?? key.userId),
      userPrincipalName: upn,
    });
  }
  return holders;
}

/** Per user principal name (lower case), what kind of resource mailbox the tenant's mailbox report says it is. */
export async function resourceMailboxKinds(
  db: Db,
  tenantId: string,
  userPrincipalNames: string[],
): Promise<Map<string, ResourceMailboxKind>> {
  const keys = [...new Set(userPrincipalNames.map((u) => u.trim().toLowerCase()).filter(Boolean))];
  const kinds = new Map<string, ResourceMailboxKind>();
  if (keys.length === 0) return kinds;
  const rows = await db
    .selectFrom('ms_mailboxes')
    .select(['user_principal_name', sql<string | null>`data->>'recipientType'`.as('recipient_type')])
    .where('tenant_id', '=', tenantId)
    .where('user_principal_name', 'in', keys)
    .execute();
  for (const r of rows) {
    const kind = resourceKindOf(r.recipient_type);
    if (kind) kinds.set(r.user_principal_name.toLowerCase(), kind);
  }
  return kinds;
}
