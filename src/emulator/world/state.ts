// Internal shapes shared by the world's modules (not part of the World contract).
import type { TenantNaming } from './generate.ts';
import type {
  AccessAssignmentRecord,
  CustomerTraits,
  DelegatedAdminRelationshipRecord,
  DomainRecord,
  ManagedDeviceRecord,
  WorldGroup,
  WorldUser,
} from './records.ts';
import type { UserChange } from './views.ts';
import { ROLES } from './catalog.ts';

export const DAY = 86_400_000;

export interface TenantDefinition {
  tenantId: string;
  /** -1 for the partner */
  index: number;
  naming: TenantNaming;
  traits: CustomerTraits;
  domains: DomainRecord[];
  createdDateTime: string;
  countryLetterCode: string;
  baseUsers: number;
  baseDevices: number;
  userMask: number;
  deviceMask: number;
}

export interface DeletedEntry {
  deleted: 'changed' | 'deleted';
  user: WorldUser;
}
export type UserOverlay = WorldUser | DeletedEntry;

/** What mutations changed in a tenant: never evicted. */
export interface TenantState {
  users: Map<number, UserOverlay>;
  userSlots: number;
  devices: Map<number, ManagedDeviceRecord | null>;
  deviceSlots: number;
  changes: UserChange[];
  reportsConcealed?: boolean;
  consentRevoked: Set<string>;
  /** Consented permissions when narrower than the app's full list (setConsentedPermissions). */
  consentedPermissions?: readonly string[];
  /** group id → user ids added / removed by writes (on top of the generated rule) */
  membership?: Map<string, { added: Set<string>; removed: Set<string> }>;
  extraScopes?: Set<string>;
}

/** What generation produced for a tenant: rebuildable, so evictable. */
export interface TenantCache {
  users: Array<WorldUser | undefined>;
  devices: Array<ManagedDeviceRecord | undefined>;
  groups?: WorldGroup[];
  generatedUsers: number;
}

export interface RelationshipEntry {
  customerIndex: number;
  record: DelegatedAdminRelationshipRecord;
  assignments: AccessAssignmentRecord[];
}

export const RELATIONSHIP_ROLES = [
  ROLES.directoryReaders,
  ROLES.globalReader,
  ROLES.userAdministrator,
  ROLES.intuneAdministrator,
  ROLES.reportsReader,
];
