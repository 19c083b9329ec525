// Organizations: one per customer tenant. The sync reads them for matching; it creates one only
// when the integration says so (settings.createOrganizations) or a technician asked for it. The
// SQL is src/stores/organizations.ts's.
export { createOrganization, organizationExists, organizationsForMatching, type OrganizationForMatching } from '../stores/organizations.ts';
