import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { buildApp } from '../../../src/app.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createTestDatabase, DATABASE_KINDS } from '../../support/databases.ts';
import { pendingMigrations } from '../../../src/db/migrate.ts';

describe.each(DATABASE_KINDS)('on %s', (kind) => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext(kind);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('creates every documentation table', async () => {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(ctx.database.db);
    const names = tables.rows.map((r) => r.table_name);
    for (const table of [
      'integrations',
      'tenants',
      'organizations',
      'contacts',
      'contact_emails',
      'configurations',
      'ms_users',
      'ms_managed_devices',
      'ms_mailboxes',
      'ms_subscribed_skus',
      'match_decisions',
      'sync_runs',
      'sync_log',
      'technicians',
      'sessions',
      'audit_log',
    ]) {
      expect(names).toContain(table);
    }
    expect(await pendingMigrations(ctx.database.db)).toEqual([]);
  });

  it('keeps one email per contact regardless of case', async () => {
    const db = ctx.database.db;
    const organization = await db.insertInto('organizations').values({ name: 'Contoso, Ltd.' }).returning('id').executeTakeFirstOrThrow();
    const contact = await db
      .insertInto('contacts')
      .values({ organization_id: organization.id, first_name: 'Adele', last_name: 'Vance' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('contact_emails').values({ contact_id: contact.id, email: 'AdeleV@contoso.com' }).execute();
    await expect(
      db.insertInto('contact_emails').values({ contact_id: contact.id, email: 'adelev@CONTOSO.com' }).execute(),
    ).rejects.toThrow();
  });

  it('reports ready when the database answers and the schema is current', async () => {
    const app = await buildApp(ctx);
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', database: 'reachable', pendingMigrations: [] });
    await app.close();
  });

  it('leaves the database as it was when a migration fails', async () => {
    const database = await createTestDatabase(kind, { migrate: false });
    try {
      const good: Migration = {
        up: async (db: Kysely<any>) => void (await db.schema.createTable('first_table').addColumn('id', 'integer').execute()),
      };
      const bad: Migration = {
        up: async (db: Kysely<any>) => {
          await db.schema.createTable('second_table').addColumn('id', 'integer').execute();
          await sql`select * from table_that_does_not_exist`.execute(db);
        },
      };
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => ({ '0001_good': good, '0002_bad': bad }) } });
      const result = await migrator.migrateToLatest();
      expect(result.error).toBeDefined();
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = 'public' and table_name in ('first_table',
          'second_table')`.execute(database.db);
      expect(tables.rows).toEqual([]);
    } finally {
      await database.close();
    }
  });
});

describe('the HTTP surface', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('answers every response with a request id, keeping a well-formed one the caller sent', async () => {
    const app = await buildApp(ctx);
    const mine = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'support-ticket-1234' } });
    expect(mine.headers['x-request-id']).toBe('support-ticket-1234');
    const hostile = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': '<script>' } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await app.close();
  });

  it('hides the details of a server error from the client', async () => {
    const app = await buildApp(ctx);
    app.get('/explode', async () => {
      throw new Error('password=hunter2 at db.internal');
    });
    const response = await app.inject({ method: 'GET', url: '/explode' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('hunter2');
    expect(response.json().error.code).toBe('internal_error');
    expect(response.json().error.requestId).toBe(response.headers['x-request-id']);
    await app.close();
  });

  it('answers unknown routes with a JSON 404', async () => {
    const app = await buildApp(ctx);
    const response = await app.inject({ method: 'GET', url: '/no/such/page' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
    await app.close();
  });
});
