// Configurations as the sync writes them: one per Intune managed device, inside the matched
// organization, related to the contact of the device's primary user. Compare before writing;
// a device gone from a complete listing is marked "no longer in Microsoft", never deleted.
import type { Kysely } from 'kysely';
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

function columns(device: ConfigurationFromMicrosoft, tenantRowId: string) {
  return {
    name: device.name,
    serial_number: device.serialNumber,
    intune_device_id: device.intuneDeviceId,
    tenant_id: tenantRowId,
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

/** Brings existing configurations (id → device) in line with Intune; writes only what differs. */
export async function updateLinkedConfigurations(
  db: Db,
  input: { tenantRowId: string; links: Map<string, ConfigurationFromMicrosoft>; now: Date },
): Promise<WriteCounts> {
  const counts = zeroWrites();
  const ids = [...input.links.keys()];
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db.selectFrom('configurations').selectAll().where('id', 'in', ids.slice(i, i + 1000)).execute();
    for (const row of rows) {
      const device = input.links.get(row.id)!;
      const next = columns(device, input.tenantRowId);
      // A technician's related contact stays when Intune has no primary user.
      if (next.contact_id === null) next.contact_id = row.contact_id;
      const same =
        row.name === next.name &&
        row.serial_number === next.serial_number &&
        row.intune_device_id === next.intune_device_id &&
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
      await db
        .updateTable('configurations')
        .set({ ...next, in_microsoft: true, removed_from_microsoft_at: null, updated_at: input.now })
        .where('id', '=', row.id)
        .execute();
      counts.updated++;
    }
  }
  return counts;
}

export async function createConfigurations(
  db: Db,
  input: { organizationId: string; tenantRowId: string; devices: ConfigurationFromMicrosoft[]; now: Date },
): Promise<{ created: Map<string, string>; counts: WriteCounts }> {
  const created = new Map<string, string>();
  const counts = zeroWrites();
  for (let i = 0; i < input.devices.length; i += 500) {
    const chunk = input.devices.slice(i, i + 500);
    const rows = await db
      .insertInto('configurations')
      .values(chunk.map((d) => ({ ...columns(d, input.tenantRowId), organization_id: input.organizationId, created_at: input.now, updated_at: input.now })))
      .onConflict((oc) => oc.columns(['organization_id', 'intune_device_id']).where('intune_device_id', 'is not', null).doNothing())
      .returning(['id', 'intune_device_id'])
      .execute();
    for (const row of rows) created.set(row.intune_device_id!, row.id);
    counts.created += rows.length;
    counts.unchanged += chunk.length - rows.length;
  }
  return { created, counts };
}

export async function markConfigurationsGone(db: Db, input: { tenantRowId: string; intuneDeviceIds: string[]; now: Date }): Promise<number> {
  let marked = 0;
  for (let i = 0; i < input.intuneDeviceIds.length; i += 1000) {
    const result = await db
      .updateTable('configurations')
      .set({ in_microsoft: false, removed_from_microsoft_at: input.now, updated_at: input.now })
      .where('tenant_id', '=', input.tenantRowId)
      .where('intune_device_id', 'in', input.intuneDeviceIds.slice(i, i + 1000))
      .where('in_microsoft', '=', true)
      .executeTakeFirst();
    marked += Number(result.numUpdatedRows);
  }
  return marked;
}

export interface ConfigurationForMatching {
  id: string;
  organizationId: string;
  name: string | null;
  serialNumber: string | null;
  intuneDeviceId: string | null;
}

export async function configurationsOfOrganization(db: Db, organizationId: string): Promise<ConfigurationForMatching[]> {
  const rows = await db
    .selectFrom('configurations')
    .select(['id', 'organization_id', 'name', 'serial_number', 'intune_device_id'])
    .where('organization_id', '=', organizationId)
    .execute();
  return rows.map((r) => ({ id: r.id, organizationId: r.organization_id, name: r.name, serialNumber: r.serial_number, intuneDeviceId: r.intune_device_id }));
}
