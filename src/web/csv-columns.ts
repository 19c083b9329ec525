// The CSV columns of each list (src/docs/export.ts writes them): the list's own fields, named as
// on its page, so an export reads like the table a technician filtered.
import type { CsvColumn } from '../docs/export.ts';
import type { AttentionItem } from '../docs/attention.ts';
import type { ConfigurationRow, ContactRow, OrganizationListRow } from '../docs/organization-directory.ts';
import type { TenantMatchRow } from './services/tenant-matches.ts';
import type { listTenantDevices, UserRow } from './services/tenant-contents.ts';
import type { RunView } from '../stores/runs.ts';

type DeviceRow = Awaited<ReturnType<typeof listTenantDevices>>['items'][number];

export const ATTENTION_COLUMNS: Array<CsvColumn<AttentionItem>> = [
  { header: 'Severity', value: (i) => i.severity },
  { header: 'Kind', value: (i) => i.kind },
  { header: 'Message', value: (i) => i.message },
  { header: 'What to do', value: (i) => i.action },
  { header: 'Where', value: (i) => i.url },
  { header: 'Organization id', value: (i) => i.organizationId },
  { header: 'Tenant id', value: (i) => i.tenantId },
];

export const ORGANIZATION_COLUMNS: Array<CsvColumn<OrganizationListRow>> = [
  { header: 'Organization', value: (o) => o.name },
  { header: 'Domains', value: (o) => o.domains },
  { header: 'Tenants', value: (o) => o.tenantCount },
  { header: 'Contacts', value: (o) => o.contactCount },
  { header: 'Configurations', value: (o) => o.configurationCount },
  { header: 'To review', value: (o) => o.reviewCount },
  { header: 'Health', value: (o) => o.health },
  { header: 'Last sync', value: (o) => o.lastSyncAt },
  { header: 'docsync id', value: (o) => o.id },
];

export const CONTACT_COLUMNS: Array<CsvColumn<ContactRow>> = [
  { header: 'First name', value: (c) => c.firstName },
  { header: 'Last name', value: (c) => c.lastName },
  { header: 'Title', value: (c) => c.title },
  { header: 'Emails', value: (c) => c.emails },
  { header: 'Phone', value: (c) => c.phone },
  { header: 'Extension', value: (c) => c.phoneExtension },
  { header: 'Tags', value: (c) => c.tags },
  { header: 'Notes', value: (c) => c.notes },
  { header: 'Linked to Microsoft', value: (c) => c.linkedToMicrosoft },
  { header: 'User principal name', value: (c) => c.userPrincipalName },
  { header: 'Account enabled', value: (c) => c.accountEnabled },
  { header: 'Last sign-in', value: (c) => c.lastSignInAt },
  { header: 'Licenses', value: (c) => c.licenses },
  { header: 'docsync id', value: (c) => c.id },
];

export const CONFIGURATION_COLUMNS: Array<CsvColumn<ConfigurationRow>> = [
  { header: 'Name', value: (g) => g.name },
  { header: 'Serial number', value: (g) => g.serialNumber },
  { header: 'Manufacturer', value: (g) => g.manufacturer },
  { header: 'Model', value: (g) => g.model },
  { header: 'Operating system', value: (g) => g.operatingSystem },
  { header: 'Compliance', value: (g) => g.complianceState },
  { header: 'Last check-in', value: (g) => g.lastCheckInAt },
  { header: 'Contact', value: (g) => g.contact?.name },
  { header: 'Tags', value: (g) => g.tags },
  { header: 'Notes', value: (g) => g.notes },
  { header: 'Linked to Intune', value: (g) => g.linkedToMicrosoft },
  { header: 'docsync id', value: (g) => g.id },
];

export const TENANT_COLUMNS: Array<CsvColumn<TenantMatchRow>> = [
  { header: 'Tenant', value: (t) => t.displayName },
  { header: 'Microsoft tenant id', value: (t) => t.tenantId },
  { header: 'Default domain', value: (t) => t.defaultDomain },
  { header: 'Integration', value: (t) => t.integrationName },
  { header: 'State', value: (t) => t.state },
  { header: 'Rule', value: (t) => t.rule },
  { header: 'Score', value: (t) => t.score },
  { header: 'Organization', value: (t) => t.organizationName },
  { header: 'Suggestions', value: (t) => t.suggestions.map((s) => `${s.name} (${s.score.toFixed(2)})`) },
  { header: 'Health', value: (t) => t.health },
  { header: 'Health reason', value: (t) => t.healthReason },
  { header: 'Last sync', value: (t) => t.lastSyncAt },
  { header: 'docsync id', value: (t) => t.id },
];

export const USER_COLUMNS: Array<CsvColumn<UserRow>> = [
  { header: 'User', value: (u) => u.displayName },
  { header: 'User principal name', value: (u) => u.userPrincipalName },
  { header: 'Mail', value: (u) => u.mail },
  { header: 'Account enabled', value: (u) => u.accountEnabled },
  { header: 'Department', value: (u) => u.department },
  { header: 'Job title', value: (u) => u.jobTitle },
  { header: 'Decision', value: (u) => u.decision },
  { header: 'Rule', value: (u) => u.rule },
  { header: 'Reason', value: (u) => u.reason },
  { header: 'Contact', value: (u) => u.contact?.name },
  { header: 'Contact emails', value: (u) => u.contact?.emails },
  { header: 'Candidates', value: (u) => u.candidates.map((c) => c.name) },
  { header: 'No longer in Microsoft', value: (u) => u.removedFromMicrosoft },
  { header: 'Microsoft user id', value: (u) => u.userId },
];

export const DEVICE_COLUMNS: Array<CsvColumn<DeviceRow>> = [
  { header: 'Device', value: (d) => d.name },
  { header: 'Serial number', value: (d) => d.serialNumber },
  { header: 'Operating system', value: (d) => d.operatingSystem },
  { header: 'Compliance', value: (d) => d.complianceState },
  { header: 'Last check-in', value: (d) => d.lastCheckInAt },
  { header: 'Primary user', value: (d) => d.primaryUser },
  { header: 'Decision', value: (d) => d.decision },
  { header: 'Rule', value: (d) => d.rule },
  { header: 'Configuration', value: (d) => d.configuration?.name },
  { header: 'Related contact', value: (d) => d.relatedContact?.name },
  { header: 'Intune device id', value: (d) => d.deviceId },
];

export const RUN_COLUMNS: Array<CsvColumn<RunView>> = [
  { header: 'Requested', value: (r) => r.createdAt },
  { header: 'Integration', value: (r) => r.integrationName },
  { header: 'Tenant', value: (r) => r.tenantName },
  { header: 'Trigger', value: (r) => r.trigger },
  { header: 'Requested by', value: (r) => r.requestedBy },
  { header: 'Status', value: (r) => r.status },
  { header: 'Started', value: (r) => r.startedAt },
  { header: 'Finished', value: (r) => r.finishedAt },
  { header: 'Created', value: (r) => r.counts.created },
  { header: 'Updated', value: (r) => r.counts.updated },
  { header: 'Unchanged', value: (r) => r.counts.unchanged },
  { header: 'Flagged', value: (r) => r.counts.flagged },
  { header: 'Failed', value: (r) => r.counts.failed },
  { header: 'Graph requests', value: (r) => r.counts.graphRequests },
  { header: 'Throttled', value: (r) => r.counts.throttled },
  { header: 'Summary', value: (r) => r.summary },
  { header: 'Run id', value: (r) => r.id },
];
