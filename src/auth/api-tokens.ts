// Personal API tokens for scripts: `Authorization: Bearer dsk_…`. Shown once at creation,
// stored as SHA-256, revocable; a token acts with its owner's current role.
import type { Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database } from '../db/schema.ts';
import { NotFound } from '../errors.ts';
import type { Principal } from './roles.ts';
import { randomSecret, sha256Hex } from './secrets.ts';
import {
  apiTokensOfTechnician,
  findApiTokenOf,
  findApiTokenWithTechnician,
  insertApiToken,
  revokeLiveApiToken,
  revokeLiveApiTokensOf,
  touchApiToken,
} from '../stores/auth-api-tokens.ts';

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
  const row = await insertApiToken(db, {
    technicianId,
    name,
    tokenHash: sha256Hex(token),
    prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
    now: clock.now(),
  });
  return { token, summary: summarize(row) };
}

export async function listApiTokens(db: Kysely<Database>, technicianId: string): Promise<ApiTokenSummary[]> {
  const rows = await apiTokensOfTechnician(db, technicianId);
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
  const row = await revokeLiveApiToken(db, technicianId, tokenId, clock.now());
  if (row) return { summary: summarize(row), alreadyRevoked: false };
  const existing = await findApiTokenOf(db, technicianId, tokenId);
  if (!existing) throw new NotFound('No such API token of yours.');
  return { summary: summarize(existing), alreadyRevoked: true };
}

/** Revokes every live token of a technician (disabled account, password reset); returns how many. */
export async function revokeApiTokensOf(db: Kysely<Database>, technicianId: string, now: Date): Promise<number> {
  return revokeLiveApiTokensOf(db, technicianId, now);
}

export async function resolveApiToken(db: Kysely<Database>, clock: Clock, token: string): Promise<Principal | null> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const row = await findApiTokenWithTechnician(db, sha256Hex(token));
  if (!row || row.revoked_at !== null || row.disabled) return null;
  const now = clock.now();
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
    await touchApiToken(db, row.tokenId, now);
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
