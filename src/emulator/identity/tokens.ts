// Tokens of the emulated identity platform: RS256 JWT access and ID tokens, opaque refresh
// tokens and authorization codes kept server-side, and the verification Graph uses.
// Behaviour follows https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens and .../refresh-tokens:
//  - access tokens live a random 60–90 min (drawn from the seeded PRNG);
//  - refresh tokens are bound to user + client (not to a tenant or resource), rotate on every
//    use, and the old one keeps working unless revoked (E:rt); revocation = the user's
//    TokensValidFrom moves past the sign-in the token descends from (AADSTS50173);
//    90 days without use = AADSTS700082;
//  - authorization codes live 10 min and are redeemable once (AADSTS54005).
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { EmulatorClock, IdentityWorld, PartnerInfo } from '../world-types.ts';
import { sts } from './errors.ts';
import { seededRandom, type SeededRandom } from './random.ts';

/** Graph's resource identifiers: the app id URI and the app id. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export type InvalidAccessTokenReason = 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'wrong_audience';

export class InvalidAccessToken extends Error {
  constructor(
    readonly reason: InvalidAccessTokenReason,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidAccessToken';
  }
}

export interface VerifiedToken {
  tenantId: string;
  clientId: string;
  kind: 'delegated' | 'app';
  userId: string | null;
  /** Delegated scopes without the resource prefix, e.g. "User.Read.All". */
  scopes: string[];
  /** Application permissions (app-only tokens). */
  roles: string[];
  /** Directory role template ids the user holds in this tenant (GDAP roles in a customer tenant). */
  wids: string[];
}

export interface SignedInUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  homeTenantId: string;
  /** Security group object ids, for the ID token's `groups` claim (app registrations that ask for it). */
  groups?: string[];
  /** How the user authenticated (`pwd`, `mfa`): the ID token's `amr` claim. */
  amr?: string[];
}

/** The partner's GDAP admin (the account docsync connects with) as a signed-in user. */
export function partnerAdminUser(partner: PartnerInfo): SignedInUser {
  return {
    id: partner.adminUser.id,
    userPrincipalName: partner.adminUser.userPrincipalName,
    displayName: partner.adminUser.displayName,
    homeTenantId: partner.tenantId,
  };
}

export interface RefreshTokenRecord {
  user: SignedInUser;
  clientId: string;
  /** When the sign-in this token descends from happened (rotation keeps it). */
  authTime: number;
  /** The user's revocation generation at that sign-in: revoking sessions bumps it. */
  generation: number;
  issuedAt: number;
  lastUsedAt: number;
  revoked: boolean;
}

export interface AuthorizationCodeRecord {
  user: SignedInUser;
  clientId: string;
  tenantId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string;
  nonce: string | undefined;
  issuedAt: number;
  redeemed: boolean;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
}

export type AccessTokenSubject =
  { kind: 'delegated'; user: SignedInUser; scopes: string[]; wids: string[] } | { kind: 'app'; roles: string[] };

export interface TokenService {
  readonly kid: string;
  /** JSON Web Key Set as served at /{tenant}/discovery/v2.0/keys. */
  jwks(): { keys: Record<string, unknown>[] };
  issueAccessToken(
    input: { issuer: string; tenantId: string; clientId: string; appDisplayName: string; audience?: string } & AccessTokenSubject,
  ): IssuedAccessToken;
  issueIdToken(input: { issuer: string; tenantId: string; clientId: string; user: SignedInUser; nonce?: string }): string;
  /** A refresh token for a new sign-in, or (with `rotating`) the successor of a redeemed one. */
  issueRefreshToken(input: { user: SignedInUser; clientId: string; rotating?: RefreshTokenRecord }): string;
  /** Validates a refresh token for this client and returns its record (the caller rotates by issuing a new one). */
  redeemRefreshToken(token: string, clientId: string): RefreshTokenRecord;
  /** Revokes every refresh token of the user (or of everyone): like "revoke sessions" or a password reset. */
  revokeRefreshTokens(userId?: string): void;
  issueAuthorizationCode(input: Omit<AuthorizationCodeRecord, 'issuedAt' | 'redeemed'>): string;
  /** `tenantId`: the tenant of the token endpoint (undefined for common/organizations). */
  redeemAuthorizationCode(
    code: string,
    input: { clientId: string; redirectUri: string; codeVerifier: string | undefined; tenantId?: string | undefined },
  ): AuthorizationCodeRecord;
  verifyAccessToken(authorizationHeader: string | undefined): VerifiedToken;
}

const MINUTE = 60_000;
const CODE_LIFETIME_MS = 10 * MINUTE;
const REFRESH_INACTIVITY_MS = 90 * 24 * 60 * MINUTE;
const GRAPH_AUDIENCES = new Set([GRAPH_RESOURCE, GRAPH_APP_ID, `${GRAPH_RESOURCE}/`]);

interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  jwk: { n: string; e: string };
}

// RSA key generation takes tens of milliseconds; one key per process is enough (tokens of two
// emulators in one test process verify against each other, which is harmless).
let processKey: SigningKey | undefined;
function signingKey(): SigningKey {
  if (!processKey) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    // Microsoft's kid is the base64url SHA-1 thumbprint of the signing certificate (27 chars, same as x5t).
    const kid = createHash('sha1').update(der).digest('base64url');
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    processKey = { privateKey, publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), kid, jwk };
  }
  return processKey;
}

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function createTokenService(options: {
  clock: EmulatorClock;
  world: IdentityWorld;
  seed?: number;
  random?: SeededRandom;
}): TokenService {
  const { clock } = options;
  const random = options.random ?? seededRandom((options.seed ?? 1) ^ 0x51ed270b);
  const key = signingKey();
  const refreshTokens = new Map<string, RefreshTokenRecord>();
  const codes = new Map<string, AuthorizationCodeRecord>();
  /** Per user id: how often their sessions were revoked, and when last (TokensValidFrom). */
  const revocations = new Map<string, { generation: number; at: number }>();
  // Signature checks cost ~50 µs; Graph sees the same token many times.
  const verifiedSignatures = new Map<string, Record<string, unknown>>();

  const nowMs = () => clock.now().getTime();

  function signJwt(payload: Record<string, unknown>): string {
    const header = { typ: 'JWT', alg: 'RS256', x5t: key.kid, kid: key.kid };
    const input = `${b64json(header)}.${b64json(payload)}`;
    const signature = sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url');
    return `${input}.${signature}`;
  }

  const generationOf = (userId: string) => revocations.get(userId)?.generation ?? 0;

  return {
    kid: key.kid,

    jwks() {
      return {
        keys: [{ kty: 'RSA', use: 'sig', kid: key.kid, x5t: key.kid, n: key.jwk.n, e: key.jwk.e, alg: 'RS256' }],
      };
    },

    issueAccessToken(input) {
      const iat = Math.floor(nowMs() / 1000);
      const lifetime = random.int(60 * 60, 90 * 60);
      const common = {
        aud: input.audience ?? GRAPH_RESOURCE,
        iss: input.issuer,
        iat,
        nbf: iat,
        exp: iat + lifetime,
        app_displayname: input.appDisplayName,
        appid: input.clientId,
        azp: input.clientId,
        appidacr: '1',
        tid: input.tenantId,
        uti: random.token(16),
        ver: '2.0',
      };
      const payload: Record<string, unknown> =
        input.kind === 'delegated'
          ? {
              ...common,
              idtyp: 'user',
              // A partner user in a customer tenant is a foreign principal: idp names the home tenant.
              ...(input.user.homeTenantId !== input.tenantId ? { idp: `https://sts.windows.net/${input.user.homeTenantId}/` } : {}),
              name: input.user.displayName,
              oid: input.user.id,
              sub: createHash('sha256').update(`${input.user.id}|${input.clientId}`).digest('base64url').slice(0, 43),
              upn: input.user.userPrincipalName,
              unique_name: input.user.userPrincipalName,
              scp: input.scopes.join(' '),
              wids: input.wids,
            }
          : {
              ...common,
              idtyp: 'app',
              oid: `${input.clientId}`,
              sub: input.clientId,
              ...(input.roles.length > 0 ? { roles: input.roles } : {}),
            };
      return { accessToken: signJwt(payload), expiresIn: lifetime };
    },

    issueIdToken(input) {
      const iat = Math.floor(nowMs() / 1000);
      return signJwt({
        aud: input.clientId,
        iss: input.issuer,
        iat,
        nbf: iat,
        exp: iat + 3600,
        name: input.user.displayName,
        ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
        oid: input.user.id,
        preferred_username: input.user.userPrincipalName,
        sub: createHash('sha256').update(`${input.user.id}|${input.clientId}|id`).digest('base64url').slice(0, 43),
        tid: input.tenantId,
        ver: '2.0',
        ...(input.user.groups ? { groups: input.user.groups } : {}),
        ...(input.user.amr ? { amr: input.user.amr } : {}),
      });
    },

    issueRefreshToken(input) {
      const now = nowMs();
      const token = `1.A${random.token(96)}`;
      const parent = input.rotating;
      refreshTokens.set(token, {
        user: input.user,
        clientId: input.clientId,
        authTime: parent?.authTime ?? now,
        generation: parent?.generation ?? generationOf(input.user.id),
        issuedAt: now,
        lastUsedAt: now,
        revoked: false,
      });
      return token;
    },

    redeemRefreshToken(token, clientId) {
      const record = refreshTokens.get(token);
      if (!record) throw sts.invalidRefreshToken();
      if (record.clientId !== clientId) throw sts.refreshTokenOtherClient();
      const now = nowMs();
      if (record.revoked || record.generation < generationOf(record.user.id)) {
        const validFrom = revocations.get(record.user.id)?.at ?? now;
        throw sts.revoked(new Date(record.authTime), new Date(validFrom));
      }
      if (now - record.lastUsedAt > REFRESH_INACTIVITY_MS) throw sts.inactiveRefreshToken(new Date(record.issuedAt));
      record.lastUsedAt = now;
      return record;
    },

    revokeRefreshTokens(userId) {
      const users = userId === undefined ? new Set([...refreshTokens.values()].map((r) => r.user.id)) : new Set([userId]);
      for (const id of users) revocations.set(id, { generation: generationOf(id) + 1, at: nowMs() });
    },

    issueAuthorizationCode(input) {
      const code = `1.A${random.token(72)}`;
      codes.set(code, { ...input, issuedAt: nowMs(), redeemed: false });
      return code;
    },

    redeemAuthorizationCode(code, input) {
      const record = codes.get(code);
      if (!record) throw sts.codeInvalid();
      if (record.redeemed) throw sts.codeRedeemed();
      if (nowMs() - record.issuedAt > CODE_LIFETIME_MS) throw sts.codeExpired();
      if (record.clientId !== input.clientId) throw sts.codeOtherClient();
      if (input.tenantId !== undefined && input.tenantId !== record.tenantId) throw sts.codeOtherTenant();
      if (record.redirectUri !== input.redirectUri) throw sts.redirectUriMismatch(input.redirectUri, record.redirectUri);
      if (input.codeVerifier === undefined) throw sts.missingParameter('code_verifier');
      const challenge = createHash('sha256').update(input.codeVerifier).digest('base64url');
      if (challenge !== record.codeChallenge) throw sts.codeVerifierMismatch();
      record.redeemed = true;
      return record;
    },

    verifyAccessToken(authorizationHeader) {
      if (!authorizationHeader) throw new InvalidAccessToken('missing', 'No Authorization header.');
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorizationHeader);
      if (!match) throw new InvalidAccessToken('malformed', 'The Authorization header is not "Bearer <token>".');
      const token = match[1]!;
      let claims = verifiedSignatures.get(token);
      if (!claims) {
        const parts = token.split('.');
        if (parts.length !== 3) throw new InvalidAccessToken('malformed', 'The access token is not a JWT.');
        const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
        let header: Record<string, unknown>;
        try {
          header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
          claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
        } catch {
          throw new InvalidAccessToken('malformed', 'The access token header or payload is not base64url JSON.');
        }
        if (typeof claims !== 'object' || claims === null || typeof header !== 'object' || header === null) {
          throw new InvalidAccessToken('malformed', 'The access token payload is not a JSON object.');
        }
        if (header.alg !== 'RS256' || header.kid !== key.kid)
          throw new InvalidAccessToken('bad_signature', 'Unknown signing key or algorithm.');
        const ok = verify(
          'RSA-SHA256',
          Buffer.from(`${headerPart}.${payloadPart}`),
          key.publicKey,
          Buffer.from(signaturePart, 'base64url'),
        );
        if (!ok) throw new InvalidAccessToken('bad_signature', 'The access token signature is invalid.');
        if (verifiedSignatures.size >= 50_000) verifiedSignatures.clear();
        verifiedSignatures.set(token, claims);
      }
      const nowSeconds = nowMs() / 1000;
      if (
        typeof claims.exp !== 'number' ||
        typeof claims.nbf !== 'number' ||
        typeof claims.tid !== 'string' ||
        typeof claims.appid !== 'string'
      ) {
        throw new InvalidAccessToken('malformed', 'The access token lacks exp, nbf, tid or appid.');
      }
      if (nowSeconds >= claims.exp) throw new InvalidAccessToken('expired', 'Lifetime validation failed, the token is expired.');
      // Microsoft allows 5 minutes of clock skew on nbf.
      if (nowSeconds + 300 < claims.nbf) throw new InvalidAccessToken('expired', 'Lifetime validation failed, the token is not yet valid.');
      if (typeof claims.aud !== 'string' || !GRAPH_AUDIENCES.has(claims.aud)) {
        throw new InvalidAccessToken('wrong_audience', `Invalid audience '${String(claims.aud)}'.`);
      }
      const delegated = claims.idtyp === 'user';
      return {
        tenantId: claims.tid,
        clientId: claims.appid,
        kind: delegated ? 'delegated' : 'app',
        userId: delegated && typeof claims.oid === 'string' ? claims.oid : null,
        scopes: typeof claims.scp === 'string' && claims.scp.length > 0 ? claims.scp.split(' ') : [],
        roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [],
        wids: Array.isArray(claims.wids) ? claims.wids.filter((r): r is string => typeof r === 'string') : [],
      };
    },
  };
}

/** Reads the claims of a JWT without verifying it (the fault injector routes Graph calls by tid). */
export function unverifiedClaims(authorizationHeader: string | undefined): Record<string, unknown> | undefined {
  const token = authorizationHeader && /^Bearer\s+(\S+)/i.exec(authorizationHeader)?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}
