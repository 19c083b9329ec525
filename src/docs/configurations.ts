// Configurations as the sync writes them: one per Intune managed device, inside the matched
// organization, related to the contact of the device's primary user. Compare before writing;
// a device gone from a complete listing is marked "no longer in Microsoft", never deleted.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { WriteCounts } from './contacts.ts';
import { zeroWrites } from './contacts.ts';

type Db = Kysely<Database>;

export interface ConfigurationFromMicrosoft {
  intuneDeviceId: string;
  name: string;
  serialNumber: string | null;
  manufacturer: string | null;
  model: string | null;
  operatingSystem: string | null;
  osVersion: string | null;
  complianceState: string | null;
  ownerType: string | null;
  enrolledAt: Date | null;
  lastCheckInAt: Date | null;
  contactId: string | null;
}

const time = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

function columns(device: ConfigurationFromMicrosoft, tenantId: string) {
  return {
    name: device.name,
    serial_number: device.serialNumber,
    intune_device_id: device.intuneDeviceId,
    tenant_id: tenantId,
    contact_id: device.contactId,
    manufacturer: device.manufacturer,
    model: device.model,
    operating_system: device.operatingSystem,
    os_version: device.osVersion,
    compliance_state: device.complianceState,
    owner_type: device.ownerType,
    enrolled_at: device.enrolledAt,
    last_check_in_at: device.lastCheckInAt,
  };
}

/** A configuration of an organization as stored: what matching reads and what the update compares. */
export interface OrganizationConfiguration {
  id: string;
  organizationId: string;
  name: string | null;
  serialNumber: string | null;
  intuneDeviceId: string | null;
  row: Omit<ReturnType<typeof columns>, 'intune_device_id'> & { intune_device_id: string | null; in_microsoft: boolean };
}

/** Every configuration of one organization, in one query, ordered by id (stable matching input). */
export async function configurationsOfOrganization(db: Db, organizationId: string): Promise<OrganizationConfiguration[]> {
  const rows = await db.selectFrom('configurations').selectAll().where('organization_id', '=', organizationId).orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    serialNumber: r.serial_number,
    intuneDeviceId: r.intune_device_id,
    row: {
      name: r.name,
      serial_number: r.serial_number,
      intune_device_id: r.intune_device_id,
      tenant_id: r.tenant_id ?? '',
      contact_id: r.contact_id,
      manufacturer: r.manufacturer,
      model: r.model,
      operating_system: r.operating_system,
      os_version: r.os_version,
      compliance_state: r.compliance_state,
      owner_type: r.owner_type,
      enrolled_at: r.enrolled_at === null ? null : new Date(r.enrolled_at),
      last_check_in_at: r.last_check_in_at === null ? null : new Date(r.last_check_in_at),
      in_microsoft: r.in_microsoft,
    },
  }));
}

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
  const changed: Array<ReturnType<typeof columns> & { id: string }> = [];
  for (const [id, device] of input.links) {
    const existing = input.configurations.get(id);
    if (!existing) continue;
    const row = existing.row;
    const next = columns(device, input.tenantId);
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
          ...columns(d, input.tenantId),
          organization_id: input.organizationId,
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
