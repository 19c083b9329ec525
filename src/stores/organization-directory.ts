// SQL for organizations as technicians read and edit them (src/docs/organization-directory.ts holds
// the rules): the organization list, one organization's tenants and figures, its contacts (with
// the group and department filters of issue 17) and the rows behind contact and configuration edits.
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { ConfigurationsTable, ContactsTable, Database } from '../db/schema.ts';
import { NotFound } from '../errors.ts';
import { usersInGroupSql } from './groups.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const ORGANIZATION_SORTS = [
  'name',
  '-name',
  'contacts',
  '-contacts',
  'configurations',
  '-configurations',
  'tenants',
  '-tenants',
  'lastSync',
  '-lastSync',
] as const;
export type OrganizationSort = (typeof ORGANIZATION_SORTS)[number];

export interface OrganizationListRow {
  id: string;
  name: string;
  domains: string[];
  tenantCount: number;
  contactCount: number;
  configurationCount: number;
  reviewCount: number;
  /** The worst health of its tenants: failing, warning, unknown, ok; null without a tenant. */
  health: string | null;
  lastSyncAt: string | null;
}

export interface OrganizationListFilter {
  search?: string;
  sort: OrganizationSort;
  page: number;
  pageSize: number;
}

export const iso = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);
const HEALTH_RANK = sql<number>`case t.health when 'failing' then 3 when 'warning' then 2 when 'unknown' then 1 else 0 end`;
const HEALTH_OF_RANK = ['ok', 'unknown', 'warning', 'failing'];

/** LIKE pattern for a folded search: case, accents and apostrophes do not matter (docsync_fold, migration T1500). */
export function foldedContains(search: string) {
  const escaped = search.trim().replace(/[\\%_]/g, (ch) => `\\${ch}`);
  return sql<string>`'%' || docsync_fold(${escaped}) || '%'`;
}

export async function listOrganizations(db: Db, filter: OrganizationListFilter): Promise<{ items: OrganizationListRow[]; total: number }> {
  const matched = db
    .selectFrom('match_decisions as d')
    .innerJoin('tenants as t', 't.id', 'd.tenant_id')
    .where('d.kind', '=', 'organization')
    .where('d.state', '=', 'matched')
    .select([
      'd.target_id as organization_id',
      (eb) => eb.fn.countAll<string>().as('tenants'),
      sql<number>`max(${HEALTH_RANK})`.as('health_rank'),
      sql<Date | null>`max(t.last_sync_at)`.as('last_sync_at'),
    ])
    .groupBy('d.target_id');
  const contacts = db
    .selectFrom('contacts')
    .select(['organization_id', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('organization_id');
  const configurations = db
    .selectFrom('configurations')
    .select(['organization_id', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('organization_id');
  const reviews = db
    .selectFrom('match_decisions as r')
    .innerJoin('match_decisions as o', (j) =>
      j.onRef('o.tenant_id', '=', 'r.tenant_id').on('o.kind', '=', 'organization').on('o.state', '=', 'matched'),
    )
    .where('r.kind', 'in', ['contact', 'configuration'])
    .where('r.state', '=', 'review')
    .select(['o.target_id as organization_id', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('o.target_id');
  let query = db
    .selectFrom('organizations as org')
    .leftJoin(matched.as('m'), 'm.organization_id', 'org.id')
    .leftJoin(contacts.as('c'), 'c.organization_id', 'org.id')
    .leftJoin(configurations.as('g'), 'g.organization_id', 'org.id')
    .leftJoin(reviews.as('r'), 'r.organization_id', 'org.id');
  if (filter.search?.trim()) query = query.where(sql<string>`org.search_text`, 'like', foldedContains(filter.search));
  const direction = filter.sort.startsWith('-') ? 'desc' : 'asc';
  const key = filter.sort.replace(/^-/, '');
  const order = {
    name: sql`lower(org.name)`,
    contacts: sql`coalesce(c.n, 0)`,
    configurations: sql`coalesce(g.n, 0)`,
    tenants: sql`coalesce(m.tenants, 0)`,
    lastSync: sql`m.last_sync_at`,
  }[key]!;
  const rows = await query
    .select([
      'org.id',
      'org.name',
      'org.domains',
      sql<string>`coalesce(m.tenants, 0)`.as('tenants'),
      sql<string>`coalesce(c.n, 0)`.as('contacts'),
      sql<string>`coalesce(g.n, 0)`.as('configurations'),
      sql<string>`coalesce(r.n, 0)`.as('reviews'),
      'm.health_rank',
      'm.last_sync_at',
    ])
    .orderBy(direction === 'desc' ? sql`${order} desc nulls last` : sql`${order} asc nulls last`)
    .orderBy(sql`lower(org.name)`)
    .orderBy('org.id')
    .limit(filter.pageSize)
    .offset((filter.page - 1) * filter.pageSize)
    .execute();
  const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  return {
    total: Number(total),
    items: rows.map((r) => ({
      id: r.id,
      name: r.name,
      domains: r.domains ?? [],
      tenantCount: Number(r.tenants),
      contactCount: Number(r.contacts),
      configurationCount: Number(r.configurations),
      reviewCount: Number(r.reviews),
      health: r.health_rank === null || r.health_rank === undefined ? null : (HEALTH_OF_RANK[Number(r.health_rank)] ?? null),
      lastSyncAt: iso(r.last_sync_at),
    })),
  };
}

/** The organization row; NotFound when there is none. */
export async function requireOrganization(db: Db, id: string) {
  const org = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!org) throw new NotFound('No such organization.');
  return org;
}

/** The tenants matched to an organization, with their integration's name, by name. */
export async function organizationTenantRows(db: Db, id: string) {
  return db
    .selectFrom('match_decisions as d')
    .innerJoin('tenants as t', 't.id', 'd.tenant_id')
    .innerJoin('integrations as i', 'i.id', 't.integration_id')
    .where('d.kind', '=', 'organization')
    .where('d.state', '=', 'matched')
    .where('d.target_id', '=', id)
    .selectAll('t')
    .select('i.name as integration_name')
    .orderBy(sql`lower(t.display_name)`)
    .execute();
}

/** An organization's contact and configuration counts, its review queue and its tenants' subscribed SKUs. */
export async function organizationFigures(db: Db, id: string, tenantIds: string[]) {
  const [contactCounts, configurations, reviewRows, skus] = await Promise.all([
    db
      .selectFrom('contacts')
      .select([
        (eb) => eb.fn.countAll<string>().as('n'),
        sql<string>`count(*) filter (where in_microsoft and microsoft_user_id is not null)`.as('linked'),
      ])
      .where('organization_id', '=', id)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('configurations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('organization_id', '=', id)
      .executeTakeFirstOrThrow(),
    tenantIds.length
      ? db
          .selectFrom('match_decisions as r')
          .leftJoin('ms_users as u', (j) =>
            j.onRef('u.tenant_id', '=', 'r.tenant_id').onRef('u.user_id', '=', 'r.source_id').on('r.kind', '=', 'contact'),
          )
          .leftJoin('ms_managed_devices as m', (j) =>
            j.onRef('m.tenant_id', '=', 'r.tenant_id').onRef('m.device_id', '=', 'r.source_id').on('r.kind', '=', 'configuration'),
          )
          .where('r.tenant_id', 'in', tenantIds)
          .where('r.kind', 'in', ['contact', 'configuration'])
          .where('r.state', '=', 'review')
          .select([
            'r.kind',
            'r.tenant_id',
            'r.source_id',
            'r.candidates',
            sql<string | null>`coalesce(u.data->>'displayName', u.data->>'userPrincipalName', m.data->>'deviceName')`.as('label'),
          ])
          .orderBy('r.kind')
          .orderBy(sql`lower(coalesce(u.data->>'displayName', m.data->>'deviceName', r.source_id))`)
          .limit(200)
          .execute()
      : Promise.resolve([]),
    tenantIds.length
      ? db
          .selectFrom('ms_subscribed_skus')
          .select(['sku_id', 'data'])
          .where('tenant_id', 'in', tenantIds)
          .where('removed_at', 'is', null)
          .execute()
      : Promise.resolve([]),
  ]);
  return { contactCounts, configurations, reviewRows, skus };
}

export interface ContactRow {
  id: string;
  firstName: string | null;
  lastName: string | null;
  title: string | null;
  phone: string | null;
  phoneExtension: string | null;
  notes: string | null;
  tags: string[];
  emails: string[];
  /** Linked to a Microsoft user: names, title, phone and emails come from Microsoft and are read-only here. */
  linkedToMicrosoft: boolean;
  inMicrosoft: boolean;
  tenantId: string | null;
  microsoftUserId: string | null;
  /** The Microsoft overlay columns (from the last sync). */
  accountEnabled: boolean | null;
  lastSignInAt: string | null;
  licenses: string[];
  userPrincipalName: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function contactRow(r: Record<string, unknown>, emails: string[]): ContactRow {
  const overlay = (r.microsoft_overlay ?? null) as Record<string, unknown> | null;
  const linked = r.microsoft_user_id !== null && r.in_microsoft === true;
  const licenses = Array.isArray(overlay?.licenses)
    ? overlay!.licenses
        .map((l) =>
          typeof l === 'string' ? l : (str((l as Record<string, unknown>)?.name) ?? str((l as Record<string, unknown>)?.skuId) ?? ''),
        )
        .filter(Boolean)
    : [];
  return {
    id: r.id as string,
    firstName: (r.first_name as string | null) ?? null,
    lastName: (r.last_name as string | null) ?? null,
    title: (r.title as string | null) ?? null,
    phone: (r.phone as string | null) ?? null,
    phoneExtension: (r.phone_extension as string | null) ?? null,
    notes: (r.notes as string | null) ?? null,
    tags: (r.tags as string[] | null) ?? [],
    emails,
    linkedToMicrosoft: linked,
    inMicrosoft: r.in_microsoft === true,
    tenantId: (r.tenant_id as string | null) ?? null,
    microsoftUserId: (r.microsoft_user_id as string | null) ?? null,
    accountEnabled: typeof overlay?.accountEnabled === 'boolean' ? overlay.accountEnabled : null,
    lastSignInAt: str(overlay?.lastSignInAt),
    licenses,
    userPrincipalName: str(overlay?.userPrincipalName),
  };
}

export const CONTACT_COLUMNS = [
  'id',
  'first_name',
  'last_name',
  'title',
  'phone',
  'phone_extension',
  'notes',
  'tags',
  'microsoft_user_id',
  'tenant_id',
  'microsoft_overlay',
  'in_microsoft',
] as const;

export async function emailsOf(db: Db, contactIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (contactIds.length === 0) return map;
  const rows = await db
    .selectFrom('contact_emails')
    .select(['contact_id', 'email'])
    .where('contact_id', 'in', contactIds)
    .orderBy('contact_id')
    .orderBy('is_primary', 'desc')
    .orderBy(sql`lower(email)`)
    .execute();
  for (const e of rows) map.set(e.contact_id, [...(map.get(e.contact_id) ?? []), e.email]);
  return map;
}

export interface ListFilter {
  search?: string;
  page: number;
  pageSize: number;
}

/** The contacts list also narrows to a group's users (nested groups too) or a department (issue 17). */
export interface ContactListFilter extends ListFilter {
  /** A group id of one of the organization's tenants: the contacts linked to its users. */
  group?: string;
  /** The department Microsoft gives the linked user. */
  department?: string;
}

/** The tenant (of this organization) a group belongs to, or null. */
async function tenantOfGroup(db: Db, organizationId: string, groupId: string): Promise<string | null> {
  const row = await db
    .selectFrom('ms_groups as g')
    .innerJoin('match_decisions as d', (j) =>
      j.onRef('d.tenant_id', '=', 'g.tenant_id').on('d.kind', '=', 'organization').on('d.state', '=', 'matched'),
    )
    .select('g.tenant_id')
    .where('d.target_id', '=', organizationId)
    .where('g.group_id', '=', groupId)
    .where('g.removed_at', 'is', null)
    .executeTakeFirst();
  return row?.tenant_id ?? null;
}

/** The groups and departments of an organization's tenants, for its contacts list's filters. */
export async function organizationGroupsAndDepartments(
  db: Db,
  organizationId: string,
): Promise<{ groups: Array<{ groupId: string; displayName: string; tenantName: string }>; departments: string[] }> {
  const tenants = db
    .selectFrom('match_decisions')
    .select('tenant_id')
    .where('kind', '=', 'organization')
    .where('state', '=', 'matched')
    .where('target_id', '=', organizationId);
  const [groups, departments] = await Promise.all([
    db
      .selectFrom('ms_groups as g')
      .innerJoin('tenants as t', 't.id', 'g.tenant_id')
      .select(['g.group_id', 'g.display_name', 't.display_name as tenant_name'])
      .where('g.tenant_id', 'in', tenants)
      .where('g.removed_at', 'is', null)
      .orderBy(sql`lower(coalesce(g.display_name, g.group_id))`)
      .orderBy('g.group_id')
      .execute(),
    db
      .selectFrom('ms_users')
      .select(sql<string>`data->>'department'`.as('department'))
      .distinct()
      .where('tenant_id', 'in', tenants)
      .where('removed_at', 'is', null)
      .where(sql`data->>'department'`, 'is not', null)
      .orderBy('department')
      .execute(),
  ]);
  return {
    groups: groups.map((g) => ({ groupId: g.group_id, displayName: g.display_name ?? g.group_id, tenantName: g.tenant_name })),
    departments: departments.map((d) => d.department),
  };
}

export async function listOrganizationContacts(
  db: Db,
  organizationId: string,
  filter: ContactListFilter,
): Promise<{ items: ContactRow[]; total: number }> {
  await requireOrganization(db, organizationId);
  let query = db.selectFrom('contacts').where('organization_id', '=', organizationId);
  if (filter.group) {
    // Group ids are per tenant: the contacts of that tenant linked to the group's users.
    const tenantId = await tenantOfGroup(db, organizationId, filter.group);
    query = tenantId
      ? query.where('tenant_id', '=', tenantId).where('microsoft_user_id', 'in', usersInGroupSql(tenantId, filter.group))
      : query.where(sql<boolean>`false`);
  }
  if (filter.department) {
    const department = filter.department;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('ms_users as u')
          .select('u.user_id')
          .whereRef('u.tenant_id', '=', 'contacts.tenant_id')
          .whereRef('u.user_id', '=', 'contacts.microsoft_user_id')
          .where(sql`u.data->>'department'`, '=', department),
      ),
    );
  }
  if (filter.search?.trim()) {
    const pattern = foldedContains(filter.search);
    query = query.where((eb) =>
      eb.or([
        eb(sql<string>`contacts.search_text`, 'like', pattern),
        eb.exists(
          eb
            .selectFrom('contact_emails as e')
            .select('e.id')
            .whereRef('e.contact_id', '=', 'contacts.id')
            .where(sql<string>`e.search_text`, 'like', pattern),
        ),
      ]),
    );
  }
  const rows = await query
    .select([...CONTACT_COLUMNS])
    .orderBy(sql`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))`)
    .orderBy('id')
    .limit(filter.pageSize)
    .offset((filter.page - 1) * filter.pageSize)
    .execute();
  const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  const emails = await emailsOf(
    db,
    rows.map((r) => r.id),
  );
  return { total: Number(total), items: rows.map((r) => contactRow(r as Record<string, unknown>, emails.get(r.id) ?? [])) };
}

export interface ConfigurationRow {
  id: string;
  name: string;
  serialNumber: string | null;
  manufacturer: string | null;
  model: string | null;
  operatingSystem: string | null;
  complianceState: string | null;
  lastCheckInAt: string | null;
  notes: string | null;
  tags: string[];
  linkedToMicrosoft: boolean;
  inMicrosoft: boolean;
  tenantId: string | null;
  intuneDeviceId: string | null;
  contact: { id: string; name: string } | null;
}

export async function contactById(db: Db, id: string): Promise<ContactRow & { organizationId: string }> {
  const row = await db
    .selectFrom('contacts')
    .select([...CONTACT_COLUMNS, 'organization_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFound('No such contact.');
  const emails = await emailsOf(db, [id]);
  return { ...contactRow(row as Record<string, unknown>, emails.get(id) ?? []), organizationId: row.organization_id };
}

/** A configuration's columns with its related contact's id and name (selectAll('g') plus contact_id_, first_name, last_name). */
export interface ConfigurationWithContact {
  id: string;
  name: string;
  serial_number: string | null;
  manufacturer: string | null;
  model: string | null;
  operating_system: string | null;
  os_version: string | null;
  compliance_state: string | null;
  last_check_in_at: Date | string | null;
  notes: string | null;
  tags: string[] | null;
  intune_device_id: string | null;
  in_microsoft: boolean;
  tenant_id: string | null;
  contact_id_: string | null;
  first_name: string | null;
  last_name: string | null;
}

export function configurationRow(r: ConfigurationWithContact): ConfigurationRow {
  return {
    id: r.id,
    name: r.name,
    serialNumber: r.serial_number,
    manufacturer: r.manufacturer,
    model: r.model,
    operatingSystem: [r.operating_system, r.os_version].filter(Boolean).join(' ') || null,
    complianceState: r.compliance_state,
    lastCheckInAt: iso(r.last_check_in_at),
    notes: r.notes,
    tags: r.tags ?? [],
    linkedToMicrosoft: r.intune_device_id !== null && r.in_microsoft,
    inMicrosoft: r.in_microsoft,
    tenantId: r.tenant_id,
    intuneDeviceId: r.intune_device_id,
    contact: r.contact_id_ ? { id: r.contact_id_, name: [r.first_name, r.last_name].filter(Boolean).join(' ') || '(no name)' } : null,
  };
}

export async function configurationById(db: Db, id: string): Promise<ConfigurationRow & { organizationId: string }> {
  const row = await db.selectFrom('configurations').select('organization_id').where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound('No such configuration.');
  const { items } = await listConfigurationsById(db, row.organization_id, id);
  return { ...items[0]!, organizationId: row.organization_id };
}

async function listConfigurationsById(db: Db, organizationId: string, id: string) {
  const rows = await db
    .selectFrom('configurations as g')
    .leftJoin('contacts as k', 'k.id', 'g.contact_id')
    .where('g.id', '=', id)
    .where('g.organization_id', '=', organizationId)
    .selectAll('g')
    .select(['k.id as contact_id_', 'k.first_name', 'k.last_name'])
    .execute();
  return { items: rows.map(configurationRow) };
}

/** A contact's own columns (snake_case, as the table names them); Microsoft-filled ones are the service's to refuse. */
export async function updateContactRow(db: Db, id: string, set: Record<string, unknown>, at: Date): Promise<void> {
  await db
    .updateTable('contacts')
    .set({ ...set, updated_at: at })
    .where('id', '=', id)
    .execute();
}

/** The contact's emails become these, the first one primary. */
export async function replaceContactEmails(db: Db, contactId: string, emails: string[]): Promise<void> {
  await db.deleteFrom('contact_emails').where('contact_id', '=', contactId).execute();
  if (emails.length > 0)
    await db
      .insertInto('contact_emails')
      .values(emails.map((email, i) => ({ contact_id: contactId, email, is_primary: i === 0 })))
      .execute();
}

export async function insertContact(db: Db, values: Insertable<ContactsTable>): Promise<{ id: string }> {
  return db.insertInto('contacts').values(values).returning('id').executeTakeFirstOrThrow();
}

export async function updateConfigurationRow(db: Db, id: string, set: Record<string, unknown>, at: Date): Promise<void> {
  await db
    .updateTable('configurations')
    .set({ ...set, updated_at: at })
    .where('id', '=', id)
    .execute();
}

export async function insertConfiguration(db: Db, values: Insertable<ConfigurationsTable>): Promise<{ id: string }> {
  return db.insertInto('configurations').values(values).returning('id').executeTakeFirstOrThrow();
}
