// Small record builders for the matching tests: only what a test is about is spelled out.
import type {
  Configuration,
  Contact,
  GraphDomain,
  GraphManagedDevice,
  GraphUser,
  Organization,
  Tenant,
} from '../../../src/matching/index.ts';

export const organization = (id: string, name: string, domains: string[] = []): Organization => ({ id, name, domains });

export const verified = (id: string, extra: Partial<GraphDomain> = {}): GraphDomain => ({
  id,
  isVerified: true,
  isInitial: false,
  ...extra,
});
export const unverified = (id: string): GraphDomain => ({ id, isVerified: false, isInitial: false });

export const tenant = (id: string, displayName: string, extra: Partial<Tenant> = {}): Tenant => ({
  id,
  displayName,
  organizationId: null,
  domains: [],
  users: [],
  managedDevices: [],
  ...extra,
});

export const user = (id: string, userPrincipalName: string, extra: Partial<GraphUser> = {}): GraphUser => ({
  id,
  userPrincipalName,
  userType: 'Member',
  accountEnabled: true,
  ...extra,
});

export const contact = (
  id: string,
  firstName: string | null,
  lastName: string | null,
  emails: string[] = [],
  extra: Partial<Contact> = {},
): Contact => ({
  id,
  organizationId: 'org',
  firstName,
  lastName,
  emails,
  microsoftUserId: null,
  ...extra,
});

export const configuration = (
  id: string,
  name: string | null,
  serialNumber: string | null,
  extra: Partial<Configuration> = {},
): Configuration => ({
  id,
  organizationId: 'org',
  name,
  serialNumber,
  intuneDeviceId: null,
  ...extra,
});

export const device = (
  id: string,
  deviceName: string | null,
  serialNumber: string | null,
  extra: Partial<GraphManagedDevice> = {},
): GraphManagedDevice => ({
  id,
  deviceName,
  serialNumber,
  userId: '',
  userPrincipalName: '',
  ...extra,
});
