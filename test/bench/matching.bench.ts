// npm run bench -- matching
// The matching engine at MSP scale: 1,000 tenants, 1M users against 1M contacts, 300k devices
// against 300k configurations. Data is generated per tenant and dropped after its tenant is
// matched (as the sync engine streams tenants), so memory stays bounded. Only engine time is
// timed; generation is reported apart. The naive baseline (every user compared with every
// contact of its organization, fuse.js built per tenant for the organization) is run on a sample
// of tenants and extrapolated, because at full size it would take many minutes.
import Fuse from 'fuse.js';
import type { Configuration, Contact, Organization, Tenant } from '../../src/matching/index.ts';
import {
  indexConfigurations,
  indexContacts,
  indexOrganizations,
  matchConfigurations,
  matchContacts,
  matchOrganization,
} from '../../src/matching/index.ts';
import { normalizeEmail, personNameKey, smtpProxyAddress } from '../../src/matching/normalize.ts';

const TENANTS = 1_000;
const USERS_PER_TENANT = 1_000;
const CONTACTS_PER_ORGANIZATION = 1_000;
const DEVICES_PER_TENANT = 300;
const NAIVE_SAMPLE_TENANTS = 5;

let seed = 42;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const FIRST = [
  'Adele',
  'Alex',
  'Megan',
  'Nestor',
  'José',
  'Zoë',
  'Isaiah',
  'Lidia',
  'Miriam',
  'Grady',
  'Johanna',
  'Henrietta',
  'Patti',
  'Lynne',
  'Diego',
  'Irvin',
  'Christie',
  'François',
  'Ana',
  'Björn',
];
const LAST = [
  'Vance',
  'Wilber',
  'Bowen',
  'Wilke',
  'García',
  "O'Neill",
  'Patel',
  'Holloway',
  'Graham',
  'Archie',
  'Lindqvist',
  'Mueller',
  'Fernández',
  'Sanders',
  'Dubois',
  'Núñez',
  'Nowak',
  'Kowalczyk',
  'Nakamura',
  'Smith',
];

const organizationOf = (t: number): Organization => ({
  id: `org-${t}`,
  name: `Customer ${t} ${LAST[t % LAST.length]} Services`,
  domains: [`customer${t}.com`],
});

/** One tenant's world: its users and devices, its organization's contacts and configurations. */
function generateTenant(t: number): { tenant: Tenant; contacts: Contact[]; configurations: Configuration[] } {
  const organization = organizationOf(t);
  const domain = `customer${t}.com`;
  const onms = `customer${t}.onmicrosoft.com`;
  const users: Tenant['users'] = [];
  const contacts: Contact[] = [];
  for (let i = 0; i < Math.max(USERS_PER_TENANT, CONTACTS_PER_ORGANIZATION); i++) {
    const first = FIRST[Math.floor(random() * FIRST.length)] as string;
    const last = `${LAST[Math.floor(random() * LAST.length)]}${i}`;
    const local = `${first.toLowerCase()}.${last.toLowerCase()}`.normalize('NFD').replace(/[^a-z0-9.]/g, '');
    const kind = random();
    if (i < USERS_PER_TENANT) {
      users.push({
        id: `u-${t}-${i}`,
        userPrincipalName: kind < 0.8 ? `${local}@${domain}` : `${local}@${onms}`,
        mail: kind < 0.7 ? `${local}@${domain}` : null,
        givenName: first,
        surname: last,
        proxyAddresses: [`SMTP:${local}@${domain}`, `smtp:${local}@${onms}`, `x500:/o=ExchangeLabs/cn=${local}`],
        otherMails: kind > 0.95 ? [`${local}@gmail.com`] : [],
        userType: kind > 0.98 ? 'Guest' : 'Member',
        accountEnabled: kind > 0.03,
      });
    }
    if (i < CONTACTS_PER_ORGANIZATION) {
      contacts.push({
        id: `c-${t}-${i}`,
        organizationId: organization.id,
        firstName: first,
        lastName: last,
        emails: kind < 0.85 ? [`${local}@${domain}`] : kind < 0.9 ? [] : [`other.${local}@${domain}`],
        microsoftUserId: kind < 0.3 ? `u-${t}-${i}` : null,
      });
    }
  }
  const managedDevices: Tenant['managedDevices'] = [];
  const configurations: Configuration[] = [];
  for (let i = 0; i < DEVICES_PER_TENANT; i++) {
    const serial = `SN${t}X${i}${Math.floor(random() * 1e6)}`;
    const kind = random();
    managedDevices.push({
      id: `d-${t}-${i}`,
      deviceName: `PC-${t}-${i}`,
      serialNumber: kind < 0.1 ? 'To Be Filled By O.E.M.' : serial,
      userId: `u-${t}-${i}`,
      userPrincipalName: '',
    });
    configurations.push({
      id: `k-${t}-${i}`,
      organizationId: organization.id,
      name: kind < 0.9 ? `PC-${t}-${i}` : `OLD-${i}`,
      serialNumber: kind < 0.7 ? serial : null,
      intuneDeviceId: kind < 0.2 ? `d-${t}-${i}` : null,
    });
  }
  // Tenant → organization: a third linked, a third by name, a third by verified domain.
  const how = t % 3;
  return {
    tenant: {
      id: `t-${t}`,
      displayName: how === 1 ? organization.name.toUpperCase() : `Tenant ${t}`,
      organizationId: how === 0 ? organization.id : null,
      domains: [
        { id: onms, isVerified: true, isInitial: true },
        { id: domain, isVerified: how === 2, isInitial: false },
      ],
      users,
      managedDevices,
    },
    contacts,
    configurations,
  };
}

const organizations = Array.from({ length: TENANTS }, (_, t) => organizationOf(t));
const gc = (globalThis as { gc?: () => void }).gc;
const ms = (n: number) => `${n.toFixed(0)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// --- the engine, streaming tenant by tenant -------------------------------------------------
let engineTime = 0;
let generateTime = 0;
const counts = { users: 0, contacts: 0, devices: 0, configurations: 0, matchedUsers: 0, matchedDevices: 0 };
const checkpoints: Array<[number, number]> = [];
let start = performance.now();
const organizationIndex = indexOrganizations(organizations);
engineTime += performance.now() - start;
for (let t = 0; t < TENANTS; t++) {
  start = performance.now();
  const { tenant, contacts, configurations } = generateTenant(t);
  generateTime += performance.now() - start;

  start = performance.now();
  const organization = matchOrganization(tenant, organizationIndex);
  const organizationId = organization.state === 'matched' ? organization.organizationId : null;
  if (organizationId !== `org-${t}`) throw new Error(`tenant ${t} matched ${organizationId}`);
  const contactDecisions = matchContacts(tenant, organizationId, indexContacts(organizationId, contacts));
  const configurationDecisions = matchConfigurations(
    tenant,
    organizationId,
    indexConfigurations(organizationId, configurations),
    contactDecisions,
  );
  engineTime += performance.now() - start;

  counts.users += tenant.users.length;
  counts.contacts += contacts.length;
  counts.devices += tenant.managedDevices.length;
  counts.configurations += configurations.length;
  counts.matchedUsers += contactDecisions.filter((d) => d.decision === 'match').length;
  counts.matchedDevices += configurationDecisions.filter((d) => d.decision === 'match').length;
  if (t + 1 === 10 || t + 1 === 100 || t + 1 === 1000) checkpoints.push([t + 1, engineTime]);
}
gc?.();
const peakRss = process.resourceUsage().maxRSS * 1024;

// --- growth inside one organization: indexed stays linear where a scan goes quadratic ------
function oneBigTenant(size: number): number {
  const { tenant, contacts } = generateTenant(0);
  // Reuse the generator's shapes, scaled up by renaming copies.
  const users = [];
  const bigContacts = [];
  for (let copy = 0; copy < size / USERS_PER_TENANT; copy++) {
    for (const u of tenant.users)
      users.push({
        ...u,
        id: `${u.id}-${copy}`,
        userPrincipalName: `${copy}.${u.userPrincipalName}`,
        mail: u.mail ? `${copy}.${u.mail}` : null,
        proxyAddresses: [],
      });
    for (const c of contacts)
      bigContacts.push({ ...c, id: `${c.id}-${copy}`, emails: c.emails.map((e) => `${copy}.${e}`), microsoftUserId: null });
  }
  const started = performance.now();
  matchContacts({ ...tenant, users }, 'org-0', indexContacts('org-0', bigContacts));
  return performance.now() - started;
}
const growth = [1_000, 10_000, 100_000].map((size) => [size, oneBigTenant(size)] as const);

// --- the suggestion path: 1,000 tenants no rule matches, fuzzy search over 1,000 organizations
const unmatchedTenants = Array.from({ length: TENANTS }, (_, t) => ({
  id: `s-${t}`,
  displayName: `${LAST[t % LAST.length]} Customer ${t} Svcs Inc.`,
  organizationId: null,
  domains: [{ id: `cust${t}.onmicrosoft.com`, isVerified: true, isInitial: true }],
}));
start = performance.now();
let suggestedTenants = 0;
let rightFirst = 0;
unmatchedTenants.forEach((tenant, t) => {
  const decision = matchOrganization(tenant, organizationIndex);
  if (decision.state === 'suggested') suggestedTenants++;
  if (decision.suggestions[0]?.organizationId === `org-${t}`) rightFirst++;
});
const suggestionTime = performance.now() - start;

// --- naive baseline on a sample --------------------------------------------------------------
function naiveTenant(t: number): number {
  const { tenant, contacts } = generateTenant(t);
  const started = performance.now();
  // fuse.js per tenant over every organization.
  const fuse = new Fuse(organizations, { keys: ['name', 'domains'], includeScore: true, ignoreLocation: true });
  fuse.search(tenant.displayName, { limit: 5 });
  // Every user against every contact of the organization, normalizing as it goes.
  let matched = 0;
  for (const user of tenant.users) {
    const aliases = [
      normalizeEmail(user.mail),
      ...(user.proxyAddresses ?? []).map(smtpProxyAddress),
      ...(user.otherMails ?? []).map(normalizeEmail),
    ].filter(Boolean);
    const upn = normalizeEmail(user.userPrincipalName);
    const name = personNameKey(user.givenName, user.surname);
    for (const contact of contacts) {
      if (contact.microsoftUserId === user.id) matched++;
      const emails = contact.emails.map(normalizeEmail);
      if (
        emails.some((e) => aliases.includes(e)) ||
        emails.includes(upn) ||
        (name && personNameKey(contact.firstName, contact.lastName) === name)
      )
        matched++;
    }
  }
  if (matched < 0) console.log(matched);
  return performance.now() - started;
}
let naiveSample = 0;
for (let t = 0; t < NAIVE_SAMPLE_TENANTS; t++) naiveSample += naiveTenant(t);
const naiveExtrapolated = (naiveSample / NAIVE_SAMPLE_TENANTS) * TENANTS;

console.log(
  `tenants ${TENANTS}, users ${counts.users}, contacts ${counts.contacts}, devices ${counts.devices}, configurations ` +
    `${counts.configurations}`,
);
console.log(`matched users ${counts.matchedUsers}, matched devices ${counts.matchedDevices}`);
console.log(`engine time (index + match, all tenants): ${ms(engineTime)}   data generation (not timed as engine): ${ms(generateTime)}`);
console.log(`growth by tenants: ${checkpoints.map(([n, time]) => `${n} → ${ms(time)}`).join(', ')}`);
console.log(
  `suggestions: ${TENANTS} unmatched tenants against ${organizations.length} organizations in ${ms(suggestionTime)} (${suggestedTenants} ` +
    `got suggestions, ${rightFirst} with the right organization first)`,
);
console.log(`growth inside one organization (users = contacts): ${growth.map(([n, time]) => `${n} → ${ms(time)}`).join(', ')}`);
console.log(
  `peak RSS ${mb(peakRss)} after the 1,000-tenant streaming run; ${mb(process.resourceUsage().maxRSS * 1024)} after the 100k-user single ` +
    `organization`,
);
console.log(
  `naive scan: ${ms(naiveSample)} for ${NAIVE_SAMPLE_TENANTS} tenants, extrapolated to ${TENANTS} tenants: ${ms(naiveExtrapolated)} ` +
    `(sampled, not run at full size)`,
);
console.log(`engine is ${(naiveExtrapolated / engineTime).toFixed(0)}× faster than the naive scan`);
