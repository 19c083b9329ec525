// The contract between the emulator's world (tenants, users, GDAP relationships: world.ts)
// and its two faces: the identity platform (identity/) and Graph (graph/).
// The world is deterministic from its seed and generates customer tenants lazily.

export interface EmulatorClock {
  now(): Date;
}

/** The partner (the MSP) and the multi-tenant app it registered for docsync. */
export interface PartnerInfo {
  tenantId: string;
  displayName: string;
  /** e.g. "fabrikampartners.onmicrosoft.com" */
  defaultDomain: string;
  /** The GDAP service account docsync connects with. */
  adminUser: { id: string; userPrincipalName: string; displayName: string; password: string };
  /** Security group (object id in the partner tenant) that GDAP access assignments name. */
  adminGroupId: string;
  app: { clientId: string; clientSecret: string; displayName: string };
}

export type GdapAccess =
  | { ok: true; relationshipId: string; roleDefinitionIds: string[] }
  | {
      ok: false;
      /** no_relationship: DAP-only or never related; inactive: expired/terminated/pending;
       *  no_assignment: active relationship, but no active access assignment for the user's group. */
      reason: 'no_relationship' | 'inactive' | 'no_assignment';
      detail: string;
    };

/** What the identity platform needs to know about the world. */
export interface IdentityWorld {
  readonly partner: PartnerInfo;
  /** True for the partner tenant and every customer tenant (including DAP-only ones). */
  tenantExists(tenantIdOrDomain: string): boolean;
  /** Resolves a tenant GUID or one of its domains to the tenant GUID; undefined if unknown. */
  resolveTenantId(tenantIdOrDomain: string): string | undefined;
  /** Whether the partner's app has admin consent (service principal) in that tenant. */
  appConsented(tenantId: string, clientId: string): boolean;
  /** GDAP access of a partner user in a customer tenant (the user's security groups × active relationships). */
  gdapAccess(customerTenantId: string, partnerUserId: string): GdapAccess;
  /** Application permissions (Graph app roles) the app holds in that tenant, e.g. "User.Read.All". */
  appRoles(tenantId: string, clientId: string): string[];
  /** Delegated scopes consented for the app in that tenant, e.g. "User.Read.All". */
  delegatedScopes(tenantId: string, clientId: string): string[];
}
