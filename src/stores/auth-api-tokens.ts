// API tokens (api_tokens): rows keyed by the SHA-256 of the token. Issuing, showing and
// revoking them is src/auth/api-tokens.ts's.
import type { Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, Database, TechnicianRole } from '../db/schema.ts';

type Db = Kysely<Database>;
export type ApiTokenRow = Selectable<ApiTokensTable>;

export async function insertApiToken(
  db: Db,
  input: { technicianId: string; name: string; tokenHash: string; prefix: string; now: Date },
): Promise<ApiTokenRow> {
  return db
    .insertInto('api_tokens')
    .values({
      technician_id: input.technicianId,
      name: input.name,
      token_hash: input.tokenHash,
      prefix: input.prefix,
      created_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A technician's tokens, newest first. */
export async function apiTokensOfTechnician(db: Db, technicianId: string): Promise<ApiTokenRow[]> {
  return db.selectFrom('api_tokens').selectAll().where('technician_id', '=', technicianId).orderBy('created_at', 'desc').execute();
}

/** One of a technician's tokens, or undefined. */
export async function findApiTokenOf(db: Db, technicianId: string, tokenId: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', tokenId).where('technician_id', '=', technicianId).executeTakeFirst();
}

/** Revokes one of a technician's live tokens; undefined when there is no such live token. */
export async function revokeLiveApiToken(db: Db, technicianId: string, tokenId: string, now: Date): Promise<ApiTokenRow | undefined> {
  return db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', tokenId)
    .where('technician_id', '=', technicianId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Revokes every live token of a technician; returns how many. */
export async function revokeLiveApiTokensOf(db: Db, technicianId: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('technician_id', '=', technicianId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A token by its hash with its technician, or undefined. */
export async function findApiTokenWithTechnician(
  db: Db,
  tokenHash: string,
): Promise<
  | {
      tokenId: string;
      revoked_at: Date | null;
      last_used_at: Date | null;
      id: string;
      username: string;
      display_name: string | null;
      role: TechnicianRole;
      disabled: boolean;
    }
  | undefined
> {
  return db
    .selectFrom('api_tokens')
    .innerJoin('technicians', 'technicians.id', 'api_tokens.technician_id')
    .select([
      'api_tokens.id as tokenId',
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
      'technicians.id',
      'technicians.username',
      'technicians.display_name',
      'technicians.role',
      'technicians.disabled',
    ])
    .where('api_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function touchApiToken(db: Db, tokenId: string, at: Date): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', tokenId).execute();
}
