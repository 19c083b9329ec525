// One matching run over everything the caller has: organizations first, then, per tenant,
// contacts and configurations inside the organization the tenant matched. Indexes are built
// once per organization, so the run is near-linear in users + contacts + devices.
import type { Configuration, Contact, MatchingInput } from './input-schema.ts';
import type { MatchingOutput } from './decisions.ts';
import { indexOrganizations, matchOrganizations } from './organizations.ts';
import { indexContacts, matchContacts, type ContactIndex } from './contacts.ts';
import { indexConfigurations, matchConfigurations, type ConfigurationIndex } from './configurations.ts';

export function runMatching(input: MatchingInput): MatchingOutput {
  const options = input.options ?? {};
  const organizations = matchOrganizations(input.tenants, indexOrganizations(input.organizations));
  const contactsOf = lazyIndexPerOrganization(input.contacts, indexContacts);
  const configurationsOf = lazyIndexPerOrganization(input.configurations, indexConfigurations);

  const output: MatchingOutput = { organizations, contacts: [], configurations: [] };
  input.tenants.forEach((tenant, i) => {
    const decision = organizations[i];
    const organizationId = decision?.state === 'matched' ? decision.organizationId : null;
    const contacts = matchContacts(tenant, organizationId, organizationId ? contactsOf(organizationId) : [], options);
    const configurations = matchConfigurations(tenant, organizationId, organizationId ? configurationsOf(organizationId) : [], contacts);
    for (const c of contacts) output.contacts.push(c);
    for (const c of configurations) output.configurations.push(c);
  });
  return output;
}

/** Groups records by organization once, and indexes an organization's records the first time a tenant needs them. */
function lazyIndexPerOrganization<R extends Contact | Configuration, I extends ContactIndex | ConfigurationIndex>(
  records: readonly R[],
  build: (organizationId: string, records: R[]) => I,
): (organizationId: string) => I {
  const grouped = new Map<string, R[]>();
  for (const record of records) {
    const group = grouped.get(record.organizationId);
    if (group) group.push(record);
    else grouped.set(record.organizationId, [record]);
  }
  const built = new Map<string, I>();
  return (organizationId) => {
    let index = built.get(organizationId);
    if (!index) built.set(organizationId, (index = build(organizationId, grouped.get(organizationId) ?? [])));
    return index;
  };
}
