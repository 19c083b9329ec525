// Started "Sign in with Microsoft" flows (sso_sign_ins): rows keyed by the SHA-256 of the state
// the browser carries. What the flow checks (state, nonce, expiry) is src/auth/sso.ts's.
import type { Kysely, Selectable } from 'kysely';
import type { Database, SsoSignInsTable } from '../db/schema.ts';

type Db = Kysely<Database>;

export type SsoSignIn = Selectable<SsoSignInsTable>;

export interface NewSsoSignIn {
  stateHash: string;
  nonce: string;
  codeVerifierEncrypted: string;
  next: string;
  redirectUri: string;
  now: Date;
  expiresAt: Date;
}

/** Deletes the sign-ins that expired by `now`. */
export async function deleteExpiredSsoSignIns(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('sso_sign_ins').where('expires_at', '<=', now).execute();
}

export async function insertSsoSignIn(db: Db, signIn: NewSsoSignIn): Promise<void> {
  await db
    .insertInto('sso_sign_ins')
    .values({
      state_hash: signIn.stateHash,
      nonce: signIn.nonce,
      code_verifier_encrypted: signIn.codeVerifierEncrypted,
      next: signIn.next,
      redirect_uri: signIn.redirectUri,
      created_at: signIn.now,
      expires_at: signIn.expiresAt,
    })
    .execute();
}

/** Removes and returns the sign-in of this state (undefined: none), so a state is redeemed at most once. */
export async function takeSsoSignIn(db: Db, stateHash: string): Promise<SsoSignIn | undefined> {
  return db.deleteFrom('sso_sign_ins').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
}
