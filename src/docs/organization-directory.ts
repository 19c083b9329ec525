// Organizations as a technician reads and edits them: the list (search, sort, counts), one
// organization's documentation in one place (tenants and their health, domains, licenses, last
// sync, review queue), its contacts and configurations (paged), and edits by hand.
//
// Edits follow IT Glue's rule for synced records: while a contact is linked to a Microsoft user
// (or a configuration to an Intune device), the fields Microsoft fills are read-only here (they
// would be overwritten by the next sync); the fields docsync owns — notes, phone extension,
// tags — stay editable, and no sync statement ever writes them (src/docs/contacts.ts,
// configurations.ts). Unlinked records are documentation of their own: every field is editable.
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database } from '../db/schema.ts';
import { BadInput, Conflict, NotFound } from '../errors.ts';
import { recordAudit } from '../stores/audit.ts';
import type { Actor } from '../auth/accounts.ts';
import { licenseDisplayName } from '../licensing/skus.ts';
import { isFreeLicense } from '../web/services/tenant-contents.ts';
import { tenantStatuses, type TenantProblem } from '../web/services/tenant-status.ts';
import { verifiedDomains } from '../web/services/tenant-matches.ts';

type Db = Kysely<Database>;

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

const iso = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);
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

export interface OrganizationTenant {
  id: string;
  tenantId: string;
  displayName: string;
  defaultDomain: string | null;
  integrationId: string;
  integrationName: string;
  accessKind: 'gdap' | 'dap' | 'direct';
  health: string;
  active: boolean;
  lastSyncAt: string | null;
  relationshipEndAt: string | null;
  problems: TenantProblem[];
}

export interface OrganizationDetail {
  id: string;
  name: string;
  domains: string[];
  createdAt: string;
  tenants: OrganizationTenant[];
  lastSyncAt: string | null;
  counts: { contacts: number; contactsInMicrosoft: number; configurations: number; reviews: number };
  licenses: Array<{ skuId: string; name: string; total: number; assigned: number; available: number; free: boolean }>;
  reviews: Array<{ kind: 'contact' | 'configuration'; tenantId: string; sourceId: string; label: string; candidates: number; url: string }>;
}

/** Verified domain names of a tenant: discovery stores names, the tenant sync Graph domain objects. */
function tenantDomainNames(domains: unknown): string[] {
  const names = Array.isArray(domains) ? domains.filter((d): d is string => typeof d === 'string').map((d) => d.toLowerCase()) : [];
  return [...names, ...verifiedDomains(domains)].filter((d) => !d.endsWith('.onmicrosoft.com'));
}

async function requireOrganization(db: Db, id: string) {
  const org = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!org) throw new NotFound('No such organization.');
  return org;
}

/** One organization's documentation in one place (contacts and configurations are paged separately). */
export async function organizationDetail(db: Db, clock: Clock, id: string): Promise<OrganizationDetail> {
  const org = await requireOrganization(db, id);
  const tenants = await db
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
  const statuses = await tenantStatuses(db, tenants, clock.now());
  const tenantIds = tenants.map((t) => t.id);
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
  const licenseBySku = new Map<string, OrganizationDetail['licenses'][number]>();
  for (const s of skus) {
    const data = (s.data ?? {}) as Record<string, unknown>;
    const prepaid = (data.prepaidUnits ?? {}) as Record<string, unknown>;
    const partNumber = typeof data.skuPartNumber === 'string' ? data.skuPartNumber : null;
    const licenseName = licenseDisplayName(s.sku_id, partNumber);
    const entry = licenseBySku.get(s.sku_id) ?? {
      skuId: s.sku_id,
      name: licenseName,
      total: 0,
      assigned: 0,
      available: 0,
      free: isFreeLicense(licenseName, partNumber),
    };
    entry.total += Number(prepaid.enabled ?? 0) || 0;
    entry.assigned += Number(data.consumedUnits ?? 0) || 0;
    entry.available = Math.max(0, entry.total - entry.assigned);
    licenseBySku.set(s.sku_id, entry);
  }
  const domains = new Set((org.domains ?? []).map((d) => d.toLowerCase()));
  for (const t of tenants) for (const d of tenantDomainNames(t.domains)) domains.add(d);
  const lastSync =
    tenants
      .map((t) => iso(t.last_sync_at))
      .filter((d): d is string => d !== null)
      .sort()
      .at(-1) ?? null;
  return {
    id: org.id,
    name: org.name,
    domains: [...domains].sort(),
    createdAt: new Date(org.created_at).toISOString(),
    tenants: tenants.map((t) => ({
      id: t.id,
      tenantId: t.microsoft_tenant_id,
      displayName: t.display_name,
      defaultDomain: t.default_domain,
      integrationId: t.integration_id,
      integrationName: t.integration_name,
      accessKind: t.access_kind,
      health: t.health,
      active: t.active,
      lastSyncAt: iso(t.last_sync_at),
      relationshipEndAt: iso(t.relationship_end_at),
      problems: statuses.get(t.id)?.problems ?? [],
    })),
    lastSyncAt: lastSync,
    counts: {
      contacts: Number(contactCounts.n),
      contactsInMicrosoft: Number(contactCounts.linked),
      configurations: Number(configurations.n),
      reviews: reviewRows.length,
    },
    licenses: [...licenseBySku.values()].sort(
      (a, b) => Number(a.free) - Number(b.free) || b.total - a.total || a.name.localeCompare(b.name),
    ),
    reviews: reviewRows.map((r) => ({
      kind: r.kind as 'contact' | 'configuration',
      tenantId: r.tenant_id,
      sourceId: r.source_id,
      label: r.label ?? r.source_id,
      candidates: Array.isArray(r.candidates) ? r.candidates.length : 0,
      url:
        r.kind === 'contact'
          ? `/tenants/${r.tenant_id}/users/${encodeURIComponent(r.source_id)}`
          : `/tenants/${r.tenant_id}/configurations`,
    })),
  };
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

const CONTACT_COLUMNS = [
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

async function emailsOf(db: Db, contactIds: string[]): Promise<Map<string, string[]>> {
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

export async function listOrganizationContacts(
  db: Db,
  organizationId: string,
  filter: ListFilter,
): Promise<{ items: ContactRow[]; total: number }> {
  await requireOrganization(db, organizationId);
  let query = db.selectFrom('contacts').where('organization_id', '=', organizationId);
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

export async function listOrganizationConfigurations(
  db: Db,
  organizationId: string,
  filter: ListFilter,
): Promise<{ items: ConfigurationRow[]; total: number }> {
  await requireOrganization(db, organizationId);
  let query = db
    .selectFrom('configurations as g')
    .leftJoin('contacts as k', 'k.id', 'g.contact_id')
    .where('g.organization_id', '=', organizationId);
  if (filter.search?.trim()) query = query.where(sql<string>`g.search_text`, 'like', foldedContains(filter.search));
  const rows = await query
    .selectAll('g')
    .select(['k.id as contact_id_', 'k.first_name', 'k.last_name'])
    .orderBy(sql`lower(g.name)`)
    .orderBy('g.id')
    .limit(filter.pageSize)
    .offset((filter.page - 1) * filter.pageSize)
    .execute();
  const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  return {
    total: Number(total),
    items: rows.map((r) => ({
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
    })),
  };
}

export interface ContactChanges {
  firstName?: string | null;
  lastName?: string | null;
  title?: string | null;
  phone?: string | null;
  emails?: string[];
  phoneExtension?: string | null;
  notes?: string | null;
  tags?: string[];
}

/** Fields Microsoft fills on a linked contact (src/docs/contacts.ts updateLinkedContacts). */
const MICROSOFT_CONTACT_FIELDS = ['firstName', 'lastName', 'title', 'phone', 'emails'] as const;

interface EditContext {
  actor: Actor;
  requestId?: string;
}

const clean = (value: string | null | undefined) =>
  value === undefined ? undefined : value === null || value.trim() === '' ? null : value.trim();
const cleanTags = (tags: string[]) => [...new Set(tags.map((t) => t.trim()).filter(Boolean))].sort((a, b) => a.localeCompare(b));

function checkEmails(emails: string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const raw of emails) {
    const email = raw.trim();
    if (email === '') continue;
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new BadInput(`"${email.slice(0, 100)}" is not an email address.`);
    if (seen.has(email.toLowerCase())) continue;
    seen.add(email.toLowerCase());
    result.push(email);
  }
  return result;
}

async function contactById(db: Db, id: string): Promise<ContactRow & { organizationId: string }> {
  const row = await db
    .selectFrom('contacts')
    .select([...CONTACT_COLUMNS, 'organization_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFound('No such contact.');
  const emails = await emailsOf(db, [id]);
  return { ...contactRow(row as Record<string, unknown>, emails.get(id) ?? []), organizationId: row.organization_id };
}

export async function updateContact(
  deps: { db: Db; clock: Clock },
  id: string,
  changes: ContactChanges,
  context: EditContext,
): Promise<ContactRow> {
  const at = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const before = await contactById(trx, id);
    if (before.linkedToMicrosoft) {
      const fromMicrosoft = MICROSOFT_CONTACT_FIELDS.filter((f) => changes[f] !== undefined);
      if (fromMicrosoft.length > 0) {
        throw new Conflict(
          `${fromMicrosoft.join(', ')} of this contact come${fromMicrosoft.length === 1 ? 's' : ''} from Microsoft and would be ` +
            `overwritten by the next sync.`,
          'Change them in Microsoft 365 (the next sync brings them here), or edit notes, phone extension and tags.',
        );
      }
    }
    const set: Record<string, unknown> = {};
    if (changes.firstName !== undefined) set.first_name = clean(changes.firstName);
    if (changes.lastName !== undefined) set.last_name = clean(changes.lastName);
    if (changes.title !== undefined) set.title = clean(changes.title);
    if (changes.phone !== undefined) set.phone = clean(changes.phone);
    if (changes.phoneExtension !== undefined) set.phone_extension = clean(changes.phoneExtension);
    if (changes.notes !== undefined) set.notes = changes.notes === null || changes.notes.trim() === '' ? null : changes.notes;
    if (changes.tags !== undefined) set.tags = cleanTags(changes.tags);
    if (Object.keys(set).length > 0)
      await trx
        .updateTable('contacts')
        .set({ ...set, updated_at: at })
        .where('id', '=', id)
        .execute();
    if (changes.emails !== undefined) {
      const emails = checkEmails(changes.emails);
      await trx.deleteFrom('contact_emails').where('contact_id', '=', id).execute();
      if (emails.length > 0)
        await trx
          .insertInto('contact_emails')
          .values(emails.map((email, i) => ({ contact_id: id, email, is_primary: i === 0 })))
          .execute();
    }
    const after = await contactById(trx, id);
    await recordAudit(trx, {
      actor: context.actor,
      action: 'contact.update',
      subjectType: 'contact',
      subjectId: id,
      before: auditContact(before),
      after: auditContact(after),
      requestId: context.requestId,
      at,
    });
    return after;
  });
}

export async function createContact(
  deps: { db: Db; clock: Clock },
  organizationId: string,
  input: ContactChanges,
  context: EditContext,
): Promise<ContactRow> {
  const at = deps.clock.now();
  if (!clean(input.firstName) && !clean(input.lastName)) throw new BadInput('A contact needs a first or last name.');
  return deps.db.transaction().execute(async (trx) => {
    await requireOrganization(trx, organizationId);
    const row = await trx
      .insertInto('contacts')
      .values({
        organization_id: organizationId,
        first_name: clean(input.firstName) ?? null,
        last_name: clean(input.lastName) ?? null,
        title: clean(input.title) ?? null,
        phone: clean(input.phone) ?? null,
        phone_extension: clean(input.phoneExtension) ?? null,
        notes: input.notes?.trim() ? input.notes : null,
        tags: cleanTags(input.tags ?? []),
        // Added by hand: not (yet) a Microsoft user's.
        in_microsoft: false,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const emails = checkEmails(input.emails ?? []);
    if (emails.length > 0)
      await trx
        .insertInto('contact_emails')
        .values(emails.map((email, i) => ({ contact_id: row.id, email, is_primary: i === 0 })))
        .execute();
    const after = await contactById(trx, row.id);
    await recordAudit(trx, {
      actor: context.actor,
      action: 'contact.create',
      subjectType: 'contact',
      subjectId: row.id,
      before: null,
      after: auditContact(after),
      requestId: context.requestId,
      at,
    });
    return after;
  });
}

function auditContact(c: ContactRow) {
  return {
    firstName: c.firstName,
    lastName: c.lastName,
    title: c.title,
    phone: c.phone,
    phoneExtension: c.phoneExtension,
    notes: c.notes,
    tags: c.tags,
    emails: c.emails,
  };
}

export interface ConfigurationChanges {
  name?: string;
  serialNumber?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  notes?: string | null;
  tags?: string[];
}

/** Fields Intune fills on a linked configuration (src/docs/configurations.ts updateLinkedConfigurations). */
const MICROSOFT_CONFIGURATION_FIELDS = ['name', 'serialNumber', 'manufacturer', 'model'] as const;

async function configurationById(db: Db, id: string): Promise<ConfigurationRow & { organizationId: string }> {
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
  return {
    items: rows.map((r): ConfigurationRow => ({
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
    })),
  };
}

export async function updateConfiguration(
  deps: { db: Db; clock: Clock },
  id: string,
  changes: ConfigurationChanges,
  context: EditContext,
): Promise<ConfigurationRow> {
  const at = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const before = await configurationById(trx, id);
    if (before.linkedToMicrosoft) {
      const fromMicrosoft = MICROSOFT_CONFIGURATION_FIELDS.filter((f) => changes[f] !== undefined);
      if (fromMicrosoft.length > 0) {
        throw new Conflict(
          `${fromMicrosoft.join(', ')} of this configuration come from Intune and would be overwritten by the next sync.`,
          'Change them in Intune, or edit notes and tags.',
        );
      }
    }
    if (changes.name !== undefined && changes.name.trim() === '') throw new BadInput('A configuration needs a name.');
    const set: Record<string, unknown> = {};
    if (changes.name !== undefined) set.name = changes.name.trim();
    if (changes.serialNumber !== undefined) set.serial_number = clean(changes.serialNumber);
    if (changes.manufacturer !== undefined) set.manufacturer = clean(changes.manufacturer);
    if (changes.model !== undefined) set.model = clean(changes.model);
    if (changes.notes !== undefined) set.notes = changes.notes === null || changes.notes.trim() === '' ? null : changes.notes;
    if (changes.tags !== undefined) set.tags = cleanTags(changes.tags);
    if (Object.keys(set).length > 0)
      await trx
        .updateTable('configurations')
        .set({ ...set, updated_at: at })
        .where('id', '=', id)
        .execute();
    const after = await configurationById(trx, id);
    await recordAudit(trx, {
      actor: context.actor,
      action: 'configuration.update',
      subjectType: 'configuration',
      subjectId: id,
      before: auditConfiguration(before),
      after: auditConfiguration(after),
      requestId: context.requestId,
      at,
    });
    return after;
  });
}

export async function createConfiguration(
  deps: { db: Db; clock: Clock },
  organizationId: string,
  input: ConfigurationChanges,
  context: EditContext,
): Promise<ConfigurationRow> {
  const at = deps.clock.now();
  if (!input.name?.trim()) throw new BadInput('A configuration needs a name.');
  return deps.db.transaction().execute(async (trx) => {
    await requireOrganization(trx, organizationId);
    const row = await trx
      .insertInto('configurations')
      .values({
        organization_id: organizationId,
        name: input.name!.trim(),
        serial_number: clean(input.serialNumber) ?? null,
        manufacturer: clean(input.manufacturer) ?? null,
        model: clean(input.model) ?? null,
        notes: input.notes?.trim() ? input.notes : null,
        tags: cleanTags(input.tags ?? []),
        in_microsoft: false,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const after = await configurationById(trx, row.id);
    await recordAudit(trx, {
      actor: context.actor,
      action: 'configuration.create',
      subjectType: 'configuration',
      subjectId: row.id,
      before: null,
      after: auditConfiguration(after),
      requestId: context.requestId,
      at,
    });
    return after;
  });
}

function auditConfiguration(c: ConfigurationRow) {
  return { name: c.name, serialNumber: c.serialNumber, manufacturer: c.manufacturer, model: c.model, notes: c.notes, tags: c.tags };
}
