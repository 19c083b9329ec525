// Organizations as a technician reads and edits them: the list (search, sort, counts), one
// organization's documentation in one place (tenants and their health, domains, licenses, last
// sync, review queue), its contacts and configurations (paged), and edits by hand. The SQL is in
// src/stores/organization-directory.ts; this module holds the rules.
//
// Edits follow IT Glue's rule for synced records: while a contact is linked to a Microsoft user
// (or a configuration to an Intune device), the fields Microsoft fills are read-only here (they
// would be overwritten by the next sync); the fields docsync owns — notes, phone extension,
// tags — stay editable, and no sync statement ever writes them (src/stores/documentation-writes.ts).
// Unlinked records are documentation of their own: every field is editable.
import type { Kysely } from 'kysely';
import { DAY_MS, type Clock } from '../time.ts';
import type { Database } from '../db/schema.ts';
import { selectOrganizationConfigurations, type ConfigurationSort } from '../stores/organization-configurations.ts';
import type { ComplianceState, Paging } from '../stores/tenant-lists.ts';
import type { SortOrder } from '../stores/keyset.ts';
import { BadInput, Conflict } from '../errors.ts';
import { recordAudit } from '../stores/audit.ts';
import type { Actor } from '../auth/accounts.ts';
import { isFreeLicense, licenseDisplayName } from '../licensing/skus.ts';
import { tenantStatuses, type TenantProblem } from './tenant-status.ts';
import { verifiedDomains } from '../stores/tenants.ts';

import {
  configurationById,
  configurationRow,
  contactById,
  foldedContains,
  insertConfiguration,
  insertContact,
  iso,
  organizationFigures,
  organizationTenantRows,
  replaceContactEmails,
  requireOrganization,
  updateConfigurationRow,
  updateContactRow,
  type ConfigurationRow,
  type ContactRow,
} from '../stores/organization-directory.ts';

export {
  foldedContains,
  listOrganizationContacts,
  listOrganizations,
  ORGANIZATION_SORTS,
  type ConfigurationRow,
  type ContactListFilter,
  type ContactRow,
  type ListFilter,
  type OrganizationListFilter,
  type OrganizationListRow,
  type OrganizationSort,
} from '../stores/organization-directory.ts';

type Db = Kysely<Database>;

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

/** One organization's documentation in one place (contacts and configurations are paged separately). */
export async function organizationDetail(db: Db, clock: Clock, id: string): Promise<OrganizationDetail> {
  const org = await requireOrganization(db, id);
  const tenants = await organizationTenantRows(db, id);
  const statuses = await tenantStatuses(db, tenants, clock.now());
  const tenantIds = tenants.map((t) => t.id);
  const { contactCounts, configurations, reviewRows, skus } = await organizationFigures(db, id, tenantIds);
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

export interface ConfigurationListQuery {
  search?: string;
  compliance?: ComplianceState;
  os?: string;
  /** stale: no check-in for staleDays (default 30) days, or never; recent: a check-in within them. */
  checkIn?: 'stale' | 'recent';
  staleDays?: number;
  sort?: ConfigurationSort;
  order?: SortOrder;
}

export async function listOrganizationConfigurations(
  db: Db,
  organizationId: string,
  filter: ConfigurationListQuery & Paging,
  context?: { now: Date },
): Promise<{ items: ConfigurationRow[]; total: number; nextCursor: string | null; prevCursor: string | null }> {
  await requireOrganization(db, organizationId);
  const { search, checkIn, staleDays = 30, sort = 'name', order = 'asc', page, pageSize, cursor, ...rest } = filter;
  if (checkIn && !context) throw new Error('listOrganizationConfigurations: the check-in filter needs the clock');
  const threshold = checkIn && context ? new Date(context.now.getTime() - staleDays * DAY_MS) : undefined;
  const { rows, total, nextCursor, prevCursor } = await selectOrganizationConfigurations(
    db,
    organizationId,
    {
      ...rest,
      searchPattern: search?.trim() ? foldedContains(search) : undefined,
      checkedInBefore: checkIn === 'stale' ? threshold : undefined,
      checkedInSince: checkIn === 'recent' ? threshold : undefined,
    },
    { field: sort, order },
    { page, pageSize, cursor },
  );
  return {
    total,
    nextCursor,
    prevCursor,
    items: rows.map(configurationRow),
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

/** Fields Microsoft fills on a linked contact (src/stores/documentation-writes.ts updateLinkedContacts). */
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
    if (Object.keys(set).length > 0) await updateContactRow(trx, id, set, at);
    if (changes.emails !== undefined) {
      const emails = checkEmails(changes.emails);
      await replaceContactEmails(trx, id, emails);
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
    const row = await insertContact(trx, {
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
    });
    await replaceContactEmails(trx, row.id, checkEmails(input.emails ?? []));
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

/** Fields Intune fills on a linked configuration (src/stores/documentation-writes.ts updateLinkedConfigurations). */
const MICROSOFT_CONFIGURATION_FIELDS = ['name', 'serialNumber', 'manufacturer', 'model'] as const;

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
    if (Object.keys(set).length > 0) await updateConfigurationRow(trx, id, set, at);
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
    const row = await insertConfiguration(trx, {
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
    });
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
