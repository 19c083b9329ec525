// The matching engine's input, as TypeBox schemas: the CLI (and anything else reading JSON
// from outside) validates against these at the edge; past the edge the engine trusts the types.
// Graph objects keep their other properties (additionalProperties allowed): the sync engine
// passes what Graph returned, and Graph leaves out properties that were not $select-ed.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const OptionalNullable = <T extends TSchema>(schema: T) => Type.Optional(Nullable(schema));

export const OrganizationSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  domains: Type.Array(Type.String()),
});

export const ContactSchema = Type.Object({
  id: Type.String(),
  organizationId: Type.String(),
  firstName: OptionalNullable(Type.String()),
  lastName: OptionalNullable(Type.String()),
  emails: Type.Array(Type.String()),
  /** Set when a technician or an earlier sync linked this contact to a Microsoft user. */
  microsoftUserId: OptionalNullable(Type.String()),
});

export const ConfigurationSchema = Type.Object({
  id: Type.String(),
  organizationId: Type.String(),
  name: OptionalNullable(Type.String()),
  serialNumber: OptionalNullable(Type.String()),
  /** Set when a technician or an earlier sync linked this configuration to an Intune device. */
  intuneDeviceId: OptionalNullable(Type.String()),
});

/** Graph `domain` (GET /domains): `id` is the domain name. */
export const GraphDomainSchema = Type.Object({
  id: Type.String(),
  isVerified: OptionalNullable(Type.Boolean()),
  isInitial: OptionalNullable(Type.Boolean()),
  isDefault: OptionalNullable(Type.Boolean()),
});

/** Graph `user` (GET /users with $select). Only id and userPrincipalName are always there. */
export const GraphUserSchema = Type.Object({
  id: Type.String(),
  userPrincipalName: Type.String(),
  displayName: OptionalNullable(Type.String()),
  givenName: OptionalNullable(Type.String()),
  surname: OptionalNullable(Type.String()),
  mail: OptionalNullable(Type.String()),
  /** "SMTP:primary@x", "smtp:alias@x", "x500:…", "sip:…", "spo:…" */
  proxyAddresses: OptionalNullable(Type.Array(Type.String())),
  otherMails: OptionalNullable(Type.Array(Type.String())),
  /** "Member" | "Guest" */
  userType: OptionalNullable(Type.String()),
  accountEnabled: OptionalNullable(Type.Boolean()),
});

/** Graph `managedDevice` (GET /deviceManagement/managedDevices). */
export const GraphManagedDeviceSchema = Type.Object({
  id: Type.String(),
  deviceName: OptionalNullable(Type.String()),
  serialNumber: OptionalNullable(Type.String()),
  /** The primary user; Intune sends "" (or null) when the device has none. */
  userId: OptionalNullable(Type.String()),
  userPrincipalName: OptionalNullable(Type.String()),
});

export const TenantSchema = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  /** Set when a technician or an earlier sync linked this tenant to an organization. */
  organizationId: OptionalNullable(Type.String()),
  domains: Type.Array(GraphDomainSchema),
  users: Type.Array(GraphUserSchema),
  managedDevices: Type.Array(GraphManagedDeviceSchema),
});

export const MatchingOptionsSchema = Type.Object({
  /** Guests (userType Guest, #EXT# in the UPN) are skipped unless the integration includes them. */
  includeGuests: Type.Optional(Type.Boolean()),
});

export const MatchingInputSchema = Type.Object({
  organizations: Type.Array(OrganizationSchema),
  contacts: Type.Array(ContactSchema),
  configurations: Type.Array(ConfigurationSchema),
  tenants: Type.Array(TenantSchema),
  options: Type.Optional(MatchingOptionsSchema),
});

export type Organization = Static<typeof OrganizationSchema>;
export type Contact = Static<typeof ContactSchema>;
export type Configuration = Static<typeof ConfigurationSchema>;
export type GraphDomain = Static<typeof GraphDomainSchema>;
export type GraphUser = Static<typeof GraphUserSchema>;
export type GraphManagedDevice = Static<typeof GraphManagedDeviceSchema>;
export type Tenant = Static<typeof TenantSchema>;
export type MatchingOptions = Static<typeof MatchingOptionsSchema>;
export type MatchingInput = Static<typeof MatchingInputSchema>;
