// Passkeys and security keys (WebAuthn Level 2, via @simplewebauthn/server): registering several
// per technician, using one as the second factor or, where an administrator allows it, to sign
// in without a password.
//
// Every ceremony starts with a challenge the server stores (single use, five minutes) and ends
// by taking that challenge out of the table before anything is checked, so a response is good
// once whatever its outcome. The origin and RP ID come from http.publicBaseUrl (or, with none,
// the loopback origin http://localhost:<port>: browsers refuse IP addresses as RP IDs). The
// signature counter must grow when the authenticator keeps one (WebAuthn §6.1.1); a counter
// that does not is a cloned key or a replayed assertion, refused and audited.
import { Buffer } from 'node:buffer';
import type { Kysely } from 'kysely';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config.ts';
import type { Clock } from '../time.ts';
import type { Database } from '../db/schema.ts';
import { BadInput, Conflict, NotFound } from '../errors.ts';
import type { Actor } from './accounts.ts';
import { recordAudit } from '../stores/audit.ts';
import { findTechnicianNames } from '../stores/auth-accounts.ts';
import {
  advancePasskeyCounter,
  deleteAllPasskeysOf,
  deletePasskey,
  deletePasskeyChallengesExpiredBy,
  findPasskeyByCredentialId,
  insertPasskey,
  insertPasskeyChallenge,
  passkeyCredentialExists,
  passkeyDescriptorsOf,
  passkeysOf,
  takePasskeyChallenge,
  type PasskeyChallengePurpose,
} from '../stores/auth-passkeys.ts';
import { PasskeyRefused } from './mfa-errors.ts';

export const WEBAUTHN_CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;
export const PASSKEY_NAME_MAX = 64;
const RP_NAME = 'docsync';

export interface RelyingParty {
  id: string;
  /** Whether a browser origin (from clientDataJSON) is this docsync's. */
  allowsOrigin(origin: string): boolean;
}

/** The relying party: http.publicBaseUrl's host and origin, or the loopback origin when none is set. */
export function relyingPartyFor(config: Pick<Config, 'http'>): RelyingParty {
  if (config.http.publicBaseUrl) {
    const url = new URL(config.http.publicBaseUrl);
    return { id: url.hostname, allowsOrigin: (origin) => origin === url.origin };
  }
  // No public address: only a browser on this machine, at http://localhost on any port (the
  // port docsync really listens on may be chosen at start).
  return { id: 'localhost', allowsOrigin: (origin) => /^http:\/\/localhost(:\d{1,5})?$/.test(origin) };
}

export interface PasskeyDeps {
  db: Kysely<Database>;
  clock: Clock;
  relyingParty: RelyingParty;
}

export interface PasskeySummary {
  id: string;
  name: string;
  discoverable: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

type ChallengePurpose = PasskeyChallengePurpose;

async function storeChallenge(
  { db, clock }: Pick<PasskeyDeps, 'db' | 'clock'>,
  challenge: string,
  purpose: ChallengePurpose,
  technicianId: string | null,
): Promise<void> {
  const now = clock.now();
  // Swept an hour after they expire, so until then a late answer hears "expired", not "unknown".
  await deletePasskeyChallengesExpiredBy(db, new Date(now.getTime() - 60 * 60 * 1000));
  await insertPasskeyChallenge(db, {
    challenge,
    purpose,
    technicianId,
    now,
    expiresAt: new Date(now.getTime() + WEBAUTHN_CHALLENGE_LIFETIME_MS),
  });
}

interface ClientData {
  challenge: string;
  origin: string;
}

function readClientData(clientDataJSON: unknown): ClientData {
  try {
    if (typeof clientDataJSON !== 'string') throw new Error('not a string');
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    const { challenge, origin } = parsed as Record<string, unknown>;
    if (typeof challenge !== 'string' || typeof origin !== 'string') throw new Error('fields missing');
    return { challenge, origin };
  } catch {
    throw new PasskeyRefused('malformed', 'The passkey response is malformed (clientDataJSON).');
  }
}

/**
 * Takes the response's challenge out of the table (so it is spent whatever happens next) and
 * checks it was ours, for this purpose and technician, not expired, from our origin.
 */
async function spendChallenge(
  { db, clock, relyingParty }: PasskeyDeps,
  clientData: ClientData,
  purpose: ChallengePurpose,
  technicianId: string | null,
): Promise<void> {
  if (!relyingParty.allowsOrigin(clientData.origin))
    throw new PasskeyRefused('wrong_origin', `The passkey answered for ${clientData.origin.slice(0, 200)}, not for this docsync.`);
  const row = await takePasskeyChallenge(db, clientData.challenge);
  if (!row || row.purpose !== purpose || (technicianId !== null && row.technician_id !== technicianId))
    throw new PasskeyRefused('unknown_challenge', 'This passkey request is unknown or was already used. Start again.');
  if (new Date(row.expires_at).getTime() <= clock.now().getTime())
    throw new PasskeyRefused('expired_challenge', 'This passkey request has expired (five minutes). Start again.');
}

// ---- registration -----------------------------------------------------------------------

export async function passkeyRegistrationOptions(deps: PasskeyDeps, technicianId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const technician = await findTechnicianNames(deps.db, technicianId);
  if (!technician) throw new NotFound('No such technician.');
  const existing = await passkeyDescriptorsOf(deps.db, technicianId);
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: deps.relyingParty.id,
    userName: technician.username,
    userDisplayName: technician.display_name ?? technician.username,
    // The user handle is the technician's id: a passwordless assertion names its account by it.
    userID: new Uint8Array(Buffer.from(technicianId, 'utf8')),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports as AuthenticatorTransportFuture[] })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    // credProps: the browser says whether the key is discoverable (usable without a password).
    extensions: { credProps: true },
    timeout: WEBAUTHN_CHALLENGE_LIFETIME_MS,
  });
  await storeChallenge(deps, options.challenge, 'register', technicianId);
  return options;
}

function summarize(row: {
  id: string;
  name: string;
  discoverable: boolean;
  created_at: Date | string;
  last_used_at: Date | string | null;
}): PasskeySummary {
  return {
    id: row.id,
    name: row.name,
    discoverable: row.discoverable,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
  };
}

async function auditRefusal(
  db: Kysely<Database>,
  clock: Clock,
  action: string,
  technician: { id: string; label: string } | null,
  reason: string,
  requestId?: string,
): Promise<void> {
  await recordAudit(db, {
    actor: technician ?? { id: null, label: 'anonymous' },
    action,
    subjectType: 'technician',
    subjectId: technician?.id ?? null,
    before: null,
    after: { reason },
    requestId,
    at: clock.now(),
  });
}

/** Verifies a new passkey's attestation and stores it under a name; refusals are audited and store nothing. */
export async function registerPasskey(
  deps: PasskeyDeps,
  technicianId: string,
  name: string,
  attestation: RegistrationResponseJSON,
  actor: Actor,
  requestId?: string,
): Promise<PasskeySummary> {
  const { db, clock, relyingParty } = deps;
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > PASSKEY_NAME_MAX) throw new BadInput(`Give the passkey a name of 1 to ${PASSKEY_NAME_MAX} characters.`);
  let verified;
  try {
    const clientData = readClientData(attestation?.response?.clientDataJSON);
    await spendChallenge(deps, clientData, 'register', technicianId);
    verified = await verifyRegistrationResponse({
      response: attestation,
      expectedChallenge: clientData.challenge,
      expectedOrigin: clientData.origin,
      expectedRPID: relyingParty.id,
      requireUserVerification: false,
    }).catch((error: unknown) => {
      const message = `The passkey could not be verified: ${(error as Error).message}`.slice(0, 300);
      throw new PasskeyRefused('invalid_attestation', message, 400);
    });
    if (!verified.verified) throw new PasskeyRefused('invalid_attestation', 'The passkey could not be verified.', 400);
  } catch (error) {
    if (error instanceof PasskeyRefused)
      await auditRefusal(
        db,
        clock,
        'technician.passkey_register_refused',
        { id: technicianId, label: actor.label },
        error.reason,
        requestId,
      );
    throw error;
  }
  const { credential, credentialDeviceType } = verified.registrationInfo;
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    if (await passkeyCredentialExists(trx, credential.id)) throw new Conflict('This passkey is registered already.');
    const row = await insertPasskey(trx, {
      technicianId,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      signCount: credential.counter,
      transports: credential.transports ?? [],
      name: trimmed,
      // Multi-device (synced) passkeys are discoverable; for others the credProps extension would tell,
      // which browsers do not always send: the passwordless sign-in simply finds no such key then.
      discoverable: credentialDeviceType === 'multiDevice' || attestation.clientExtensionResults?.credProps?.rk === true,
      now,
    });
    await recordAudit(trx, {
      actor,
      action: 'technician.passkey_register',
      subjectType: 'technician',
      subjectId: technicianId,
      before: null,
      after: { passkey: row.id, name: trimmed },
      requestId,
      at: now,
    });
    return summarize(row);
  });
}

export async function listPasskeys(db: Kysely<Database>, technicianId: string): Promise<PasskeySummary[]> {
  const rows = await passkeysOf(db, technicianId);
  return rows.map(summarize);
}

export async function removePasskey(
  { db, clock }: Pick<PasskeyDeps, 'db' | 'clock'>,
  technicianId: string,
  passkeyId: string,
  actor: Actor,
  requestId?: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const now = clock.now();
    const removed = await deletePasskey(trx, technicianId, passkeyId, now);
    if (!removed) throw new NotFound('No such passkey on your account.');
    await recordAudit(trx, {
      actor,
      action: 'technician.passkey_remove',
      subjectType: 'technician',
      subjectId: technicianId,
      before: { passkey: removed.id, name: removed.name },
      after: null,
      requestId,
      at: now,
    });
  });
}

/** Every passkey of a technician goes (an administrator's MFA reset); inside the caller's transaction. */
export async function removeAllPasskeys(trx: Kysely<Database>, technicianId: string): Promise<number> {
  return deleteAllPasskeysOf(trx, technicianId);
}

// ---- authentication ---------------------------------------------------------------------

/** Options for a second factor (the technician's own passkeys) or, with null, a passwordless sign-in (any discoverable one). */
export async function passkeyAuthenticationOptions(
  deps: PasskeyDeps,
  technicianId: string | null,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const credentials = technicianId ? await passkeyDescriptorsOf(deps.db, technicianId) : [];
  if (technicianId && credentials.length === 0) throw new Conflict('This account has no passkey.');
  const options = await generateAuthenticationOptions({
    rpID: deps.relyingParty.id,
    allowCredentials: credentials.map((c) => ({ id: c.credential_id, transports: c.transports as AuthenticatorTransportFuture[] })),
    // Without a password the passkey is the only proof: the authenticator must verify its user.
    userVerification: technicianId ? 'preferred' : 'required',
    timeout: WEBAUTHN_CHALLENGE_LIFETIME_MS,
  });
  await storeChallenge(deps, options.challenge, technicianId ? 'authenticate' : 'passwordless', technicianId);
  return options;
}

/**
 * Checks an assertion: for a second factor, one of `technicianId`'s passkeys; for a passwordless
 * sign-in (technicianId null), a discoverable passkey whose user handle names its owner.
 * Returns the technician's id. Throws PasskeyRefused (not audited here: the caller knows whom to
 * count the failure against).
 */
export async function verifyPasskeyAssertion(
  deps: PasskeyDeps,
  assertion: AuthenticationResponseJSON,
  technicianId: string | null,
): Promise<string> {
  const { db, clock, relyingParty } = deps;
  const clientData = readClientData(assertion?.response?.clientDataJSON);
  await spendChallenge(deps, clientData, technicianId ? 'authenticate' : 'passwordless', technicianId);
  if (typeof assertion.id !== 'string') throw new PasskeyRefused('malformed', 'The passkey response has no credential id.');
  const stored = await findPasskeyByCredentialId(db, assertion.id);
  if (!stored || (technicianId !== null && stored.technician_id !== technicianId))
    throw new PasskeyRefused('unknown_credential', 'This passkey is not registered for this account.');
  if (technicianId === null) {
    const handle = assertion.response.userHandle ? Buffer.from(assertion.response.userHandle, 'base64url').toString('utf8') : null;
    if (!stored.discoverable || handle !== stored.technician_id)
      throw new PasskeyRefused('unknown_credential', 'This passkey cannot sign in without a password.');
  }
  const storedCounter = Number(stored.sign_count);
  let newCounter: number;
  try {
    const result = await verifyAuthenticationResponse({
      response: assertion,
      expectedChallenge: clientData.challenge,
      expectedOrigin: clientData.origin,
      expectedRPID: relyingParty.id,
      credential: {
        id: stored.credential_id,
        publicKey: new Uint8Array(Buffer.from(stored.public_key, 'base64url')),
        counter: storedCounter,
        transports: stored.transports as AuthenticatorTransportFuture[],
      },
      requireUserVerification: technicianId === null,
    });
    if (!result.verified) throw new Error('signature not verified');
    newCounter = result.authenticationInfo.newCounter;
  } catch (error) {
    if (/counter value/i.test((error as Error).message))
      throw new PasskeyRefused('replayed_counter', "The passkey's signature counter did not increase: a replayed answer or a cloned key.");
    throw new PasskeyRefused('invalid_assertion', `The passkey's answer could not be verified: ${(error as Error).message}`.slice(0, 300));
  }
  // Compare-and-set: two answers racing with the same counter cannot both pass.
  if (!(await advancePasskeyCounter(db, stored.id, storedCounter, newCounter, clock.now())))
    throw new PasskeyRefused('replayed_counter', "The passkey's signature counter did not increase: a replayed answer or a cloned key.");
  return stored.technician_id;
}

export { auditRefusal as auditPasskeyRefusal };
