// Configurations of an organization as matching reads them, and the shape the sync writes (the
// sync's writes are in src/stores/documentation-writes.ts).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

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

/** The columns of a configuration the sync fills from Intune. */
export function configurationColumns(device: ConfigurationFromMicrosoft, tenantId: string) {
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
  row: Omit<ReturnType<typeof configurationColumns>, 'intune_device_id'> & { intune_device_id: string | null; in_microsoft: boolean };
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
