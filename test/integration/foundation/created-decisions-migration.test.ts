// Migration 2026-12-05T0100 on a database that already has the sync's stored "created" decisions:
// each becomes a decision shown from the contact or configuration (created_by_sync), so a
// technician reads exactly what was there, and a technician's own decision stays stored.
import { describe, expect, it } from 'vitest';
import { createMigrator, migrateToLatest } from '../../../src/db/migrate.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { insertIntegration, insertTenant } from '../sync/fixtures.ts';

const MIGRATION = '2026-12-05T0100_implicit_created_decisions';
const CREATED_REASON = 'Created from this Microsoft user by the sync.';

describe.each(DATABASE_KINDS)('the created-decisions migration on %s', (kind) => {
  it('keeps every decision a technician reads, storing none for what the sync created', async () => {
    const database = await createTestDatabase(kind, { migrate: false });
    try {
      const db = database.db;
      const migrator = createMigrator(db);
      const names = (await migrator.getMigrations()).map((m) => m.name);
      const before = names[names.indexOf(MIGRATION) - 1]!;
      expect((await migrator.migrateTo(before)).error).toBeUndefined();

      const integration = await insertIntegration(db);
      const tenant = await insertTenant(db, integration.id);
      const organization = await db.insertInto('organizations').values({ name: 'Contoso' }).returning('id').executeTakeFirstOrThrow();
      const contact = (userId: string) =>
        db
          .insertInto('contacts')
          .values({ organization_id: organization.id, tenant_id: tenant.id, microsoft_user_id: userId, first_name: userId })
          .returning('id')
          .executeTakeFirstOrThrow();
      const adele = await contact('u-adele');
      const megan = await contact('u-megan');
      const laptop = await db
        .insertInto('configurations')
        .values({ organization_id: organization.id, tenant_id: tenant.id, intune_device_id: 'd-1', name: 'LAPTOP-1' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const decision = { tenant_id: tenant.id, state: 'match' as const, rule: 'created', decided_by: 'sync' };
      await db
        .insertInto('match_decisions')
        .values([
          { ...decision, kind: 'contact', source_id: 'u-adele', target_id: adele.id, reason: CREATED_REASON },
          { ...decision, kind: 'configuration', source_id: 'd-1', target_id: laptop.id },
          // A technician's decision is stored whatever it says.
          {
            ...decision,
            kind: 'contact',
            source_id: 'u-megan',
            target_id: megan.id,
            reason: CREATED_REASON,
            decided_by: 'tech-1',
            decided_by_technician: true,
          },
        ])
        .execute();
      const read = () =>
        db
          .selectFrom('effective_match_decisions')
          .select(['kind', 'source_id', 'state', 'target_id', 'rule', 'reason', 'decided_by_technician'])
          .where('tenant_id', '=', tenant.id)
          .orderBy('source_id')
          .execute();
      const shownBefore = await db
        .selectFrom('match_decisions')
        .select(['kind', 'source_id', 'state', 'target_id', 'rule', 'reason', 'decided_by_technician'])
        .where('tenant_id', '=', tenant.id)
        .orderBy('source_id')
        .execute();

      await migrateToLatest(db);
      expect(await read()).toEqual(shownBefore);
      const stored = await db.selectFrom('match_decisions').select('source_id').where('tenant_id', '=', tenant.id).execute();
      expect(stored).toEqual([{ source_id: 'u-megan' }]);
    } finally {
      await database.close();
    }
  });
});
