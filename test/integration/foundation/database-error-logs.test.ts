// Issue 13, item 9: a failed query logged with its error never prints the query's parameters
// (emails, names: personal data), on either database, whether pg or PGlite raised it.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createLogger } from '../../../src/logger.ts';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../../support/databases.ts';

const PERSONAL = 'adele.vance.private@contoso.example';

describe.each(DATABASE_KINDS)('database errors in the logs on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  async function loggedFailure(run: () => Promise<unknown>): Promise<string> {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ env: 'production', log: { level: 'info', pretty: 'never' } }, stream);
    const error = await run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    log.error({ err: error }, 'request failed');
    return lines.join('');
  }

  it('logs the failure and its SQLSTATE, without the parameters or the values in the detail', async () => {
    const db = database.db;
    await db.insertInto('technicians').values({ username: 'first', email: PERSONAL, password_hash: 'x', role: 'read_only' }).execute();
    const duplicate = await loggedFailure(() =>
      db.insertInto('technicians').values({ username: 'second', email: PERSONAL, password_hash: 'x', role: 'read_only' }).execute(),
    );
    expect(duplicate).toContain('23505');
    expect(duplicate).not.toContain(PERSONAL);
    const badCast = await loggedFailure(() => sql`select ${PERSONAL}::uuid`.execute(db));
    expect(badCast).toContain('request failed');
    expect(badCast).not.toContain(PERSONAL);
  });
});
