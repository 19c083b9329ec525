// First-run setup links (setup_links): only the SHA-256 of the token is kept. When a link may be
// redeemed (no account yet) is src/auth/accounts.ts's.
import type { Kysely, Selectable } from 'kysely';
import type { Database, SetupLinksTable } from '../db/schema.ts';

type Db = Kysely<Database>;

export type SetupLinkRow = Selectable<SetupLinksTable>;

/** Replaces every unused link by this one; run it inside a transaction. */
export async function replaceUnusedSetupLinks(trx: Db, link: { tokenHash: string; now: Date; expiresAt: Date }): Promise<void> {
  await trx.deleteFrom('setup_links').where('used_at', 'is', null).execute();
  await trx.insertInto('setup_links').values({ token_hash: link.tokenHash, created_at: link.now, expires_at: link.expiresAt }).execute();
}

export async function findSetupLink(db: Db, tokenHash: string): Promise<SetupLinkRow | undefined> {
  return db.selectFrom('setup_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Marks the link used if it is unused and not expired at `now`; false when it could not be claimed. */
export async function claimSetupLink(db: Db, tokenHash: string, now: Date): Promise<boolean> {
  const claimed = await db
    .updateTable('setup_links')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('token_hash')
    .executeTakeFirst();
  return claimed !== undefined;
}
