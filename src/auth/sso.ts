// Single sign-on with Entra ID: "Sign in with Microsoft" against the MSP's own tenant.
// OpenID Connect authorization code flow with PKCE (S256) and a nonce, as Microsoft documents
// for web apps (Microsoft identity platform and OpenID Connect protocol, learn.microsoft.com/
// entra/identity-platform/v2-protocols-oidc). The ID token is verified with jose: RS256
// signature against the keys at the tenant's jwks_uri, issuer from the tenant's discovery
// document, audience = docsync's client id, expiry, nonce, and the tenant id.
//
// Technicians are matched by Entra object id (`oid`), then on a first sign-in by email; an
// unknown person is created with the default role only when sso.autoCreate allows it. Group →
// role mapping (sso.groupRoles) is applied at every sign-in. Microsoft's MFA counts as the
// second factor: the `amr` claim is recorded and a session whose amr says "mfa" counts as
// freshly verified.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { publicBaseUrl, type Config } from '../config.ts';
import type { Clock } from '../time.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database, Technician, TechnicianRole } from '../db/schema.ts';
import { DocsyncError } from '../errors.ts';
import { updateTechnician } from './accounts.ts';
import { recordAudit } from '../stores/audit.ts';
import {
  findTechnicianByEntraObjectId,
  insertTechnician,
  linkTechnicianToEntra,
  unlinkedTechniciansByEmailOrUsername,
  usernameTaken,
} from '../stores/auth-accounts.ts';
import { deleteExpiredSsoSignIns, insertSsoSignIn, takeSsoSignIn } from '../stores/auth-sso.ts';
import { hashPassword } from './passwords.ts';
import { ROLES } from './roles.ts';
import { constantTimeEquals, randomSecret, sha256Hex } from './secrets.ts';

export const SSO_STATE_COOKIE = 'docsync_sso';
export const SSO_SIGN_IN_LIFETIME_MS = 10 * 60 * 1000;
/** Leeway for the clocks of docsync and Microsoft on exp/nbf/iat. */
const CLOCK_TOLERANCE_SECONDS = 60;
const SSO_ACTOR = { id: null, label: 'single sign-on' };

export interface SsoDeps {
  db: Kysely<Database>;
  clock: Clock;
  secrets: SecretBox;
  config: Config;
}

export class SsoFailed extends DocsyncError {
  readonly code = 'sso_failed';
  constructor(
    readonly status: number,
    message: string,
    action = 'Try "Sign in with Microsoft" again; if it keeps failing, ask an administrator.',
  ) {
    super(message, action);
  }
}

export class PasswordSignInDisabled extends DocsyncError {
  readonly status = 403;
  readonly code = 'password_sign_in_disabled';
  constructor() {
    super('This docsync signs technicians in with Microsoft only.', 'Use "Sign in with Microsoft".');
  }
}

export function ssoEnabled(config: Config): boolean {
  return config.sso.tenantId !== null && config.sso.clientId !== null && config.sso.clientSecret !== null;
}

/** Whether password sign-in is allowed for this username ("SSO only" keeps one break-glass administrator). */
export function passwordSignInAllowed(config: Config, username: string): boolean {
  return !config.sso.only || username.toLowerCase() === (config.sso.breakGlassUsername ?? '').toLowerCase();
}

/**
 * Where Microsoft sends the browser back: under http.publicBaseUrl (register exactly this URL in
 * the app registration). Without one (development, the demo on a chosen port) it is the origin the
 * browser used; Entra redirects only to registered URIs, so a forged Host header gains nothing.
 */
/**
 * In "SSO only" mode, refuses a password sign-in before the password is checked (so the answer
 * says nothing about whether it was right); only the break-glass username gets through.
 */
export function assertPasswordSignInAllowed(config: Config, login: string): void {
  if (!passwordSignInAllowed(config, login.trim())) throw new PasswordSignInDisabled();
}

export function ssoRedirectUri(config: Config, requestOrigin: string): string {
  return `${config.http.publicBaseUrl ? publicBaseUrl(config) : requestOrigin}/auth/sso/callback`;
}

// ---- discovery --------------------------------------------------------------------------

interface Discovery {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  keys: ReturnType<typeof createRemoteJWKSet>;
}

const discoveries = new Map<string, Promise<Discovery>>();

/** The tenant's OpenID configuration, once per process (a failed fetch is tried again next time). */
function discover(config: Config): Promise<Discovery> {
  const authority = `${config.microsoft.authorityHost}/${config.sso.tenantId}/v2.0`;
  let found = discoveries.get(authority);
  if (!found) {
    found = (async () => {
      const response = await fetch(`${authority}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok)
        throw new SsoFailed(
          502,
          `Microsoft's sign-in configuration for tenant ${config.sso.tenantId} could not be read (HTTP ${response.status}).`,
          'Check sso.tenantId and microsoft.authorityHost.',
        );
      const doc = (await response.json()) as Record<string, unknown>;
      const text = (key: string) => {
        const value = doc[key];
        if (typeof value !== 'string' || !/^https?:\/\//.test(value))
          throw new SsoFailed(502, `Microsoft's sign-in configuration has no usable ${key}.`);
        return value;
      };
      return {
        issuer: text('issuer'),
        authorizationEndpoint: text('authorization_endpoint'),
        tokenEndpoint: text('token_endpoint'),
        keys: createRemoteJWKSet(new URL(text('jwks_uri'))),
      };
    })();
    discoveries.set(authority, found);
    found.catch(() => discoveries.delete(authority));
  }
  return found;
}

// ---- the flow ---------------------------------------------------------------------------

/** Starts a sign-in: the URL to send the browser to, and the state for the browser's cookie. */
export async function beginSsoSignIn(deps: SsoDeps, next: string, requestOrigin: string): Promise<{ url: string; state: string }> {
  const { db, clock, secrets, config } = deps;
  if (!ssoEnabled(config))
    throw new SsoFailed(404, 'Single sign-on is not set up on this docsync.', 'Sign in with your username and password.');
  const discovery = await discover(config);
  const state = randomSecret();
  const nonce = randomSecret();
  const codeVerifier = randomSecret();
  const now = clock.now();
  const redirectUri = ssoRedirectUri(config, requestOrigin);
  await deleteExpiredSsoSignIns(db, now);
  await insertSsoSignIn(db, {
    stateHash: sha256Hex(state),
    nonce,
    codeVerifierEncrypted: secrets.seal(codeVerifier),
    next,
    redirectUri,
    now,
    expiresAt: new Date(now.getTime() + SSO_SIGN_IN_LIFETIME_MS),
  });
  const url = new URL(discovery.authorizationEndpoint);
  url.search = new URLSearchParams({
    client_id: config.sso.clientId!,
    response_type: 'code',
    redirect_uri: redirectUri,
    response_mode: 'query',
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
    prompt: 'select_account',
  }).toString();
  return { url: url.toString(), state };
}

export interface SsoIdentity {
  objectId: string;
  tenantId: string;
  username: string;
  displayName: string | null;
  email: string | null;
  groups: string[];
  amr: string[];
}

export interface SsoCallback {
  state?: string;
  cookieState?: string;
  code?: string;
  error?: string;
  errorDescription?: string;
  requestId?: string;
}

async function refuse(
  deps: Pick<SsoDeps, 'db' | 'clock'>,
  reason: string,
  detail: Record<string, unknown>,
  error: SsoFailed,
  requestId?: string,
): Promise<never> {
  await recordAudit(deps.db, {
    actor: SSO_ACTOR,
    action: 'technician.sso_failed',
    subjectType: 'technician',
    subjectId: null,
    before: null,
    after: { reason, ...detail },
    requestId,
    at: deps.clock.now(),
  });
  throw error;
}

/** Microsoft's error_description starts with "AADSTS…: what happened"; the trace lines after it are for support. */
const firstLine = (text: string | undefined) => (text ?? '').split(/\r?\n/)[0]!.slice(0, 500);

/** Completes a sign-in from Microsoft's redirect: the technician it signs in, and what the ID token said. */
export async function completeSsoSignIn(
  deps: SsoDeps,
  input: SsoCallback,
): Promise<{ technician: Technician; identity: SsoIdentity; next: string }> {
  const { db, clock, secrets, config } = deps;
  const { requestId } = input;
  if (!ssoEnabled(config)) throw new SsoFailed(404, 'Single sign-on is not set up on this docsync.');
  if (!input.state || !input.cookieState || !constantTimeEquals(input.state, input.cookieState)) {
    return refuse(
      deps,
      'state_mismatch',
      {},
      new SsoFailed(400, 'This sign-in did not start in this browser (the state does not match), so it was refused.'),
      requestId,
    );
  }
  // Single use: whatever happens next, this state cannot be redeemed again.
  const started = await takeSsoSignIn(db, sha256Hex(input.state));
  if (!started || new Date(started.expires_at).getTime() <= clock.now().getTime()) {
    return refuse(deps, 'state_expired', {}, new SsoFailed(400, 'This sign-in expired or was already used.'), requestId);
  }
  if (input.error) {
    return refuse(
      deps,
      'microsoft_error',
      { error: input.error },
      new SsoFailed(401, `Microsoft did not sign you in: ${firstLine(input.errorDescription) || input.error}`),
      requestId,
    );
  }
  if (!input.code) return refuse(deps, 'no_code', {}, new SsoFailed(400, "Microsoft's answer carried no authorization code."), requestId);

  const discovery = await discover(config);
  const response = await fetch(discovery.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      client_id: config.sso.clientId!,
      client_secret: config.sso.clientSecret!,
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: started.redirect_uri,
      code_verifier: secrets.open(started.code_verifier_encrypted),
      scope: 'openid profile email',
    }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.id_token !== 'string') {
    const error = typeof body.error === 'string' ? body.error : `http_${response.status}`;
    const description = typeof body.error_description === 'string' ? body.error_description : `HTTP ${response.status}`;
    return refuse(
      deps,
      'token_refused',
      { error },
      new SsoFailed(401, `Microsoft did not sign you in: ${firstLine(description)}`),
      requestId,
    );
  }
  let identity: SsoIdentity;
  try {
    identity = await verifyIdToken(deps, body.id_token, started.nonce);
  } catch (error) {
    if (error instanceof SsoFailed) return refuse(deps, 'id_token_rejected', { problem: error.message }, error, requestId);
    throw error;
  }
  const technician = await technicianFor(deps, identity, requestId);
  await recordAudit(db, {
    actor: { id: technician.id, label: technician.username },
    action: 'technician.sso_sign_in',
    subjectType: 'technician',
    subjectId: technician.id,
    before: null,
    after: { oid: identity.objectId, amr: identity.amr },
    requestId,
    at: clock.now(),
  });
  return { technician, identity, next: started.next };
}

/**
 * Verifies an ID token from the tenant: RS256 signature by a key of the tenant's JWKS, issuer,
 * audience (docsync's client id), expiry and not-before, the nonce of this sign-in, and the tenant.
 */
export async function verifyIdToken(deps: Pick<SsoDeps, 'clock' | 'config'>, idToken: string, expectedNonce: string): Promise<SsoIdentity> {
  const { config, clock } = deps;
  const discovery = await discover(config);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, discovery.keys, {
      issuer: discovery.issuer,
      audience: config.sso.clientId!,
      algorithms: ['RS256'],
      currentDate: clock.now(),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'iat', 'nonce', 'oid', 'tid'],
    }));
  } catch (error) {
    const reason = error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'unreadable';
    const words: Record<string, string> = {
      ERR_JWT_EXPIRED: 'it has expired',
      ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "its signature is not from the tenant's keys",
      ERR_JWKS_NO_MATCHING_KEY: 'it is signed with a key the tenant does not publish',
      ERR_JWT_CLAIM_VALIDATION_FAILED: `a claim is wrong (${(error as { claim?: string }).claim ?? 'unknown'})`,
      ERR_JWS_INVALID: 'it is malformed',
      ERR_JWT_INVALID: 'it is malformed',
      ERR_JOSE_ALG_NOT_ALLOWED: 'it is not signed with RS256',
    };
    throw new SsoFailed(401, `The ID token from Microsoft was refused: ${words[reason] ?? reason}.`);
  }
  const claim = (name: string) => (typeof payload[name] === 'string' ? (payload[name] as string) : null);
  if (claim('nonce') !== expectedNonce)
    throw new SsoFailed(401, "The ID token from Microsoft was refused: its nonce is not this sign-in's.");
  // The issuer (checked above) names the tenant's GUID; the tid claim must be that tenant.
  const tenantId = claim('tid');
  if (!tenantId || !discovery.issuer.toLowerCase().includes(`/${tenantId.toLowerCase()}/`)) {
    throw new SsoFailed(401, 'The ID token from Microsoft was refused: it is from another tenant.');
  }
  const objectId = claim('oid');
  const username = claim('preferred_username') ?? claim('email');
  if (!objectId || !username) throw new SsoFailed(401, 'The ID token from Microsoft has no object id or username.');
  const list = (name: string) =>
    Array.isArray(payload[name]) ? (payload[name] as unknown[]).filter((v): v is string => typeof v === 'string') : [];
  return { objectId, tenantId, username, displayName: claim('name'), email: claim('email'), groups: list('groups'), amr: list('amr') };
}

// ---- matching a technician --------------------------------------------------------------

/** The highest docsync role any of the person's Entra groups maps to, or null. */
export function roleFromGroups(groupRoles: Readonly<Record<string, TechnicianRole>>, groups: readonly string[]): TechnicianRole | null {
  const byGroup = new Map(Object.entries(groupRoles).map(([group, role]) => [group.toLowerCase(), role]));
  let best: TechnicianRole | null = null;
  for (const group of groups) {
    const role = byGroup.get(group.toLowerCase());
    if (role && (best === null || ROLES.indexOf(role) > ROLES.indexOf(best))) best = role;
  }
  return best;
}

const USERNAME_SAFE = /[^A-Za-z0-9._@-]/g;

async function technicianFor(deps: SsoDeps, identity: SsoIdentity, requestId?: string): Promise<Technician> {
  const { db, clock, config } = deps;
  const email = (identity.email ?? identity.username).toLowerCase();
  let row = await findTechnicianByEntraObjectId(db, identity.objectId);
  if (!row) {
    // First sign-in: an account an administrator created with this email (or username) is linked once.
    const byEmail = await unlinkedTechniciansByEmailOrUsername(db, email, identity.username);
    if (byEmail.length > 1) {
      return refuse(
        deps,
        'ambiguous_email',
        { username: identity.username },
        new SsoFailed(409, `More than one docsync account has the email ${email}; an administrator must make them distinct.`),
        requestId,
      );
    }
    if (byEmail[0]) {
      row = await linkTechnicianToEntra(db, byEmail[0].id, identity.objectId, clock.now());
      await recordAudit(db, {
        actor: SSO_ACTOR,
        action: 'technician.sso_link',
        subjectType: 'technician',
        subjectId: row.id,
        before: { entraObjectId: null },
        after: { entraObjectId: identity.objectId, by: 'email' },
        requestId,
        at: clock.now(),
      });
    }
  }
  const mapped = roleFromGroups(config.sso.groupRoles, identity.groups);
  if (!row) {
    if (!config.sso.autoCreate) {
      return refuse(
        deps,
        'no_account',
        { username: identity.username },
        new SsoFailed(
          403,
          `There is no docsync account for ${identity.username}.`,
          'Ask an administrator to create one with your email address.',
        ),
        requestId,
      );
    }
    row = await createFromSso(deps, identity, mapped ?? config.sso.defaultRole, requestId);
  }
  if (row.disabled)
    return refuse(
      deps,
      'disabled',
      { username: row.username },
      new SsoFailed(403, 'Your docsync account is disabled.', 'Ask an administrator.'),
      requestId,
    );
  if (mapped && mapped !== row.role) {
    try {
      await updateTechnician({ db, clock }, row.id, { role: mapped }, { id: null, label: 'single sign-on (group mapping)' }, requestId);
      row = { ...row, role: mapped };
    } catch (error) {
      // The last administrator keeps the role: group mapping never locks everyone out.
      if (!(error instanceof DocsyncError && error.status === 409)) throw error;
    }
  }
  return row;
}

async function createFromSso(deps: SsoDeps, identity: SsoIdentity, role: TechnicianRole, requestId?: string): Promise<Technician> {
  const { db, clock } = deps;
  const base = identity.username.replace(USERNAME_SAFE, '').slice(0, 56) || `entra-${identity.objectId.slice(0, 8)}`;
  // No usable password: this account signs in through Microsoft (an administrator can set one).
  const passwordHash = await hashPassword(randomSecret());
  return db.transaction().execute(async (trx) => {
    let username = base;
    for (let n = 2; await usernameTaken(trx, username); n++) username = `${base}-${n}`;
    const now = clock.now();
    const row = await insertTechnician(trx, {
      username,
      email: identity.email ?? identity.username,
      display_name: identity.displayName,
      password_hash: passwordHash,
      role,
      entra_object_id: identity.objectId,
      created_at: now,
      updated_at: now,
    });
    await recordAudit(trx, {
      actor: SSO_ACTOR,
      action: 'technician.create',
      subjectType: 'technician',
      subjectId: row.id,
      before: null,
      after: { username, role, entraObjectId: identity.objectId },
      requestId,
      at: now,
    });
    return row;
  });
}
