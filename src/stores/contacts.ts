// Contacts of an organization as matching reads them, and the shapes the sync writes (the sync's
// writes are in src/stores/documentation-writes.ts).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

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
