// The matching engine's public API. Pure: records in, decisions out (no I/O, no clock).
// The sync engine calls it per tenant (indexOrganizations + matchOrganization, then
// matchContacts and matchConfigurations with the tenant's organization); the CLI calls runMatching.
export { runMatching } from './engine.ts';
export {
  indexOrganizations,
  matchOrganizations,
  matchOrganization,
  type OrganizationIndex,
  type TenantForOrganizationMatching,
} from './organizations.ts';
export { indexContacts, matchContacts, isGuest, userAliases, type ContactIndex, type TenantForContactMatching } from './contacts.ts';
export {
  indexConfigurations,
  matchConfigurations,
  type ConfigurationIndex,
  type TenantForConfigurationMatching,
} from './configurations.ts';
export { createOrganizationSuggester, type OrganizationSuggester } from './suggestions.ts';
export { parseMatchingInput, MatchingInputInvalid } from './parse-input.ts';
export * from './decisions.ts';
export type * from './input-schema.ts';
export { MatchingInputSchema } from './input-schema.ts';
