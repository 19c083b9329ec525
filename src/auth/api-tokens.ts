// Personal API tokens for scripts: `Authorization: Bearer dsk_…`. Shown once at creation,
// stored as SHA-256, revocable; a token acts with its owner's current role.
import type { Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database } from '../db/schema.ts';
import { NotFound } from '../errors.ts';
import type { Principal } from './roles.ts';
import { randomSecret, sha256Hex } from './secrets.ts';

export const API_TOKEN_PREFIX = 'dsk_';

export interface ApiTokenSummary {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export async function createApiToken(
  db: Kysely<Database>,
  clock: Clock,
  technicianId: string,
  name: string,
): Promise<{ token: string; summary: ApiTokenSummary }> {
  const token = randomSecret(API_TOKEN_PREFIX);
  const row = await db
    .insertInto('api_tokens')
    .values({
      technician_id: technicianId,
      name,
      token_hash: sha256Hex(token),
      prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
      created_at: clock.now(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { token, summary: summarize(row) };
}

export async function listApiTokens(db: Kysely<Database>, technicianId: string): Promise<ApiTokenSummary[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('technician_id', '=', technicianId)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(summarize);
}

/**
 * Revokes one of the technician's tokens. Revoking a revoked token changes nothing and says so
 * (alreadyRevoked), so a retried request writes no second audit row.
 */
export async function revokeApiToken(
  db: Kysely<Database>,
  clock: Clock,
  technicianId: string,
  tokenId: string,
): Promise<{ summary: ApiTokenSummary; alreadyRevoked: boolean }> {
  const row = await db
    .updateTable('api_tokens')
    .set({ revoked_at: clock.now() })
    .where('id', '=', tokenId)
    .where('technician_id', '=', technicianId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (row) return { summary: summarize(row), alreadyRevoked: false };
  const existing = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('id', '=', tokenId)
    .where('technician_id', '=', technicianId)
    .executeTakeFirst();
  if (!existing) throw new NotFound('No such API token of yours.');
  return { summary: summarize(existing), alreadyRevoked: true };
}

/** Revokes every live token of a technician (disabled account, password reset); returns how many. */
export async function revokeApiTokensOf(db: Kysely<Database>, technicianId: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('technician_id', '=', technicianId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function resolveApiToken(db: Kysely<Database>, clock: Clock, token: string): Promise<Principal | null> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const row = await db
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
    .where('api_tokens.token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || row.disabled) return null;
  const now = clock.now();
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.tokenId).execute();
  }
  return { technicianId: row.id, username: row.username, displayName: row.display_name, role: row.role, via: 'api_token', csrfToken: null };
}

function summarize(row: {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): ApiTokenSummary {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
