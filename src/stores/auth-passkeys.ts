// Passkeys (webauthn_credentials, with the technicians.passkey_count kept beside them) and the
// challenges handed to browsers (webauthn_challenges). What a challenge or an assertion must
// satisfy is src/auth/passkeys.ts's.
import type { Kysely, Selectable } from 'kysely';
import type { Database, WebauthnChallengesTable, WebauthnCredentialsTable } from '../db/schema.ts';

type Db = Kysely<Database>;

export type PasskeyRow = Selectable<WebauthnCredentialsTable>;
export type PasskeyChallengeRow = Selectable<WebauthnChallengesTable>;
export type PasskeyChallengePurpose = WebauthnChallengesTable['purpose'];

export interface PasskeyListRow {
  id: string;
  name: string;
  discoverable: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

// ---- challenges -------------------------------------------------------------------------

/** Deletes the challenges that expired by `before`. */
export async function deletePasskeyChallengesExpiredBy(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', before).execute();
}

export async function insertPasskeyChallenge(
  db: Db,
  challenge: { challenge: string; purpose: PasskeyChallengePurpose; technicianId: string | null; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('webauthn_challenges')
    .values({
      challenge: challenge.challenge,
      purpose: challenge.purpose,
      technician_id: challenge.technicianId,
      created_at: challenge.now,
      expires_at: challenge.expiresAt,
    })
    .execute();
}

/** Removes and returns a challenge (undefined: none), so each is answered at most once. */
export async function takePasskeyChallenge(db: Db, challenge: string): Promise<PasskeyChallengeRow | undefined> {
  return db.deleteFrom('webauthn_challenges').where('challenge', '=', challenge).returningAll().executeTakeFirst();
}

// ---- credentials ------------------------------------------------------------------------

/** The technician's passkeys as an authenticator is told about them (id and transports). */
export async function passkeyDescriptorsOf(db: Db, technicianId: string): Promise<{ credential_id: string; transports: string[] }[]> {
  return db.selectFrom('webauthn_credentials').select(['credential_id', 'transports']).where('technician_id', '=', technicianId).execute();
}

export async function passkeyCredentialExists(db: Db, credentialId: string): Promise<boolean> {
  const row = await db.selectFrom('webauthn_credentials').select('id').where('credential_id', '=', credentialId).executeTakeFirst();
  return row !== undefined;
}

export async function findPasskeyByCredentialId(db: Db, credentialId: string): Promise<PasskeyRow | undefined> {
  return db.selectFrom('webauthn_credentials').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
}

export interface NewPasskey {
  technicianId: string;
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: string[];
  name: string;
  discoverable: boolean;
  now: Date;
}

/** Stores a passkey and counts it on its technician; run it inside a transaction. */
export async function insertPasskey(trx: Db, passkey: NewPasskey): Promise<PasskeyRow> {
  const row = await trx
    .insertInto('webauthn_credentials')
    .values({
      technician_id: passkey.technicianId,
      credential_id: passkey.credentialId,
      public_key: passkey.publicKey,
      sign_count: passkey.signCount,
      transports: JSON.stringify(passkey.transports),
      name: passkey.name,
      discoverable: passkey.discoverable,
      created_at: passkey.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('technicians')
    .set((eb) => ({ passkey_count: eb('passkey_count', '+', 1), updated_at: passkey.now }))
    .where('id', '=', passkey.technicianId)
    .execute();
  return row;
}

/** The technician's passkeys, oldest first. */
export async function passkeysOf(db: Db, technicianId: string): Promise<PasskeyListRow[]> {
  return db
    .selectFrom('webauthn_credentials')
    .select(['id', 'name', 'discoverable', 'created_at', 'last_used_at'])
    .where('technician_id', '=', technicianId)
    .orderBy('created_at')
    .orderBy('name')
    .execute();
}

/** Deletes one of the technician's passkeys and uncounts it; what was deleted, or undefined. Run it inside a transaction. */
export async function deletePasskey(
  trx: Db,
  technicianId: string,
  passkeyId: string,
  now: Date,
): Promise<{ id: string; name: string } | undefined> {
  const removed = await trx
    .deleteFrom('webauthn_credentials')
    .where('id', '=', passkeyId)
    .where('technician_id', '=', technicianId)
    .returning(['id', 'name'])
    .executeTakeFirst();
  if (!removed) return undefined;
  await trx
    .updateTable('technicians')
    .set((eb) => ({ passkey_count: eb('passkey_count', '-', 1), updated_at: now }))
    .where('id', '=', technicianId)
    .execute();
  return removed;
}

/** Deletes every passkey of a technician and sets the count to 0; returns how many went. */
export async function deleteAllPasskeysOf(trx: Db, technicianId: string): Promise<number> {
  const removed = await trx.deleteFrom('webauthn_credentials').where('technician_id', '=', technicianId).executeTakeFirst();
  await trx.updateTable('technicians').set({ passkey_count: 0 }).where('id', '=', technicianId).execute();
  return Number(removed.numDeletedRows);
}

/** Compare-and-set of the signature counter (and last use): false when another answer moved it first. */
export async function advancePasskeyCounter(db: Db, passkeyId: string, from: number, to: number, usedAt: Date): Promise<boolean> {
  const updated = await db
    .updateTable('webauthn_credentials')
    .set({ sign_count: to, last_used_at: usedAt })
    .where('id', '=', passkeyId)
    .where('sign_count', '=', from)
    .returning('id')
    .executeTakeFirst();
  return updated !== undefined;
}
