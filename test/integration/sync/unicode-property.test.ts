// Property: whatever text Microsoft sends — NUL, unpaired surrogates, right-to-left marks,
// combining marks, emoji, 10 kB names — a tenant's sync stages, matches and writes it on both
// databases, and what is stored is the text with only NUL and unpaired surrogates replaced
// (U+FFFD). Before, Postgres refused such a row and the tenant failed on every run.
// Random but reproducible: a seeded generator; a failure prints the seed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { syncTenant } from '../../../src/sync/tenant-sync.ts';
import { enqueueTenantRun } from '../../../src/sync/runs.ts';
import { cleanText } from '../../../src/microsoft/text.ts';
import type { GraphUser } from '../../../src/microsoft/tenant-reader.ts';
import { contosoData, fakeSource } from './records.ts';
import { insertContosoTenantWithOrganization } from './fixtures.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const RUNS = Number(process.env.DOCSYNC_UNICODE_RUNS ?? 4);

/** mulberry32: small, seeded, good enough to pick characters. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uDBFF\uDFFF',
  '\u200F',
  '\u202E',
  '\u061C',
  'é',
  'e\u0301',
  '😀',
  '\uFEFF',
  '\uFFFF',
  '\u0001',
  '"',
  "'",
  '\\',
  '<',
  '%',
  ' ',
  'A',
  'z',
];

function randomText(next: () => number): string {
  if (next() < 0.1) return 'x'.repeat(10_000) + '\u0000' + '\uD83D';
  const length = 1 + Math.floor(next() * 24);
  let text = '';
  for (let i = 0; i < length; i++) {
    const roll = next();
    // Mostly the awkward pieces; sometimes any code unit at all.
    text += roll < 0.7 ? PIECES[Math.floor(next() * PIECES.length)]! : String.fromCharCode(Math.floor(next() * 0x10000));
  }
  return text;
}

describe.each(DATABASE_KINDS)('random Unicode through stage → match → write on %s', (kind) => {
  let ctx: TestContext;
  const clock = { now: () => NOW };
  beforeAll(async () => {
    ctx = await createTestContext(kind, { overrides: { clock } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  for (let run = 0; run < RUNS; run++) {
    const seed = 1000 + run;
    it(`documents every user whatever characters their names hold (seed ${seed})`, async () => {
      const next = random(seed);
      const db = ctx.database.db;
      const { integration, tenant } = await insertContosoTenantWithOrganization(db);
      const data = contosoData();
      const users: GraphUser[] = Array.from({ length: 12 }, (_, i) => ({
        id: `u-${seed}-${i}-${randomText(next)}`,
        userPrincipalName: `user${i}.${randomText(next)}@contoso.com`,
        displayName: randomText(next),
        givenName: randomText(next),
        surname: `${randomText(next)}${i}`,
        jobTitle: randomText(next),
        mail: `m${i}${randomText(next)}@contoso.com`,
        proxyAddresses: [`SMTP:m${i}${randomText(next)}@contoso.com`, `smtp:${randomText(next)}`],
        otherMails: [randomText(next)],
        userType: 'Member',
        accountEnabled: true,
        assignedLicenses: [],
      }));
      data.users = users;
      data.devices = [
        { id: `d-${seed}-${randomText(next)}`, deviceName: randomText(next), serialNumber: randomText(next), userId: users[0]!.id },
      ];
      data.displayName = randomText(next);

      const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenant.id, trigger: 'cli', now: NOW });
      const fresh = await db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
      const result = await syncTenant(
        { db, log: ctx.log, clock, config: ctx.config },
        { runId, tenant: fresh, integration, source: fakeSource(data), fullListing: true },
      );

      expect(result.failedResources).toEqual([]);
      expect(result.users).toBe(users.length);
      const contacts = await db.selectFrom('contacts').select(['last_name', 'first_name']).where('tenant_id', '=', tenant.id).execute();
      expect(contacts).toHaveLength(users.length);
      // Names are stored as sent, but for the replaced characters (and surrounding white space, trimmed).
      const stored = contacts.map((c) => c.last_name?.trim()).sort();
      expect(stored).toEqual(users.map((u) => cleanText(u.surname!).trim()).sort());
      const configurations = await db.selectFrom('configurations').select('name').where('tenant_id', '=', tenant.id).execute();
      expect(configurations).toHaveLength(1);
    });
  }
});
