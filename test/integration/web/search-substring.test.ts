// Search where many records look alike (issue 15, "< 100 ms at 1,000 tenants / 1M contacts"): a
// domain shared by every email of a big tenant, an email prefix among hundreds of similar ones,
// a first name many contacts share. What contains the query is found through the GIN trigram
// indexes and ranked first; the typo-tolerant similarity answers only when nothing contains it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

interface Result {
  kind: string;
  label: string;
  detail: string;
}

describe.each(DATABASE_KINDS)('search among many look-alike records on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  const search = async (q: string, limit = 20) => {
    const response = await call(world, 'read_only', 'GET', `/api/search?q=${encodeURIComponent(q)}&limit=${limit}`);
    expect(response.statusCode, q).toBe(200);
    return (response.json() as { results: Result[] }).results;
  };

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    const db = world.ctx.database.db;
    const org = seeded.organizations.contoso!;
    await sql`
      insert into contacts (organization_id, first_name, last_name)
      select ${org}::uuid, 'Adele', 'Vance ' || i from generate_series(1, 600) i`.execute(db);
    await sql`
      insert into contact_emails (contact_id, email, is_primary)
      select id, 'user' || substring(last_name from 7) || '@bigcorp.example', true from contacts where first_name = 'Adele'`.execute(db);
    await db
      .updateTable('tenants')
      .set({ default_domain: 'bigcorp77.example', domains: JSON.stringify(['bigcorp77.example']) as never })
      .where('id', '=', seeded.tenants.fresh!.id)
      .execute();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('finds the tenant of a domain, not the hundreds of emails of a similar domain', async () => {
    const results = await search('bigcorp77.example');
    expect(results.map((r) => [r.kind, r.label])).toEqual([['tenant', 'Fresh Tenant']]);
  });

  it('ranks the exact email first among the prefixes it shares with others', async () => {
    const results = await search('user42');
    expect(results[0]).toMatchObject({
      kind: 'contact',
      label: 'Adele Vance 42',
      detail: expect.stringContaining('user42@bigcorp.example'),
    });
    // user42, user420 … user429: the ones containing the query, no others.
    expect(results.map((r) => r.label).sort()).toEqual(
      ['Adele Vance 42', ...Array.from({ length: 10 }, (_, i) => `Adele Vance 42${i}`)].sort(),
    );
  });

  it('keeps to the limit for a name hundreds of contacts share', async () => {
    const results = await search('adele', 15);
    expect(results).toHaveLength(15);
    expect(results.every((r) => r.label.startsWith('Adele Vance'))).toBe(true);
  });

  it('still finds a domain through a typo when nothing contains the query, without the look-alike emails', async () => {
    const results = await search('bigcrop77.example');
    expect(results[0]).toMatchObject({ kind: 'tenant', label: 'Fresh Tenant' });
    expect(results.filter((r) => r.kind === 'contact')).toEqual([]);
  });
});
