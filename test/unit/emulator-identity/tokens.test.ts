import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenService, InvalidAccessToken, type SignedInUser } from '../../../src/emulator/identity/tokens.ts';
import { ADMIN_ID, ADMIN_UPN, CLIENT_ID, CUSTOMER_OK, PARTNER, manualClock, stubWorld } from './stub-world.ts';

const admin: SignedInUser = { id: ADMIN_ID, userPrincipalName: ADMIN_UPN, displayName: 'GDAP Admin', homeTenantId: PARTNER };
const MINUTE = 60_000;

function setup(seed = 1) {
  const clock = manualClock();
  const tokens = createTokenService({ clock, world: stubWorld(), seed });
  return { clock, tokens };
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidAccessToken) return err.reason;
    throw err;
  }
  return 'accepted';
};

describe('access tokens', () => {
  it('carry tid, oid, space-separated scp, aud, iss, appid/azp, idtyp and a 60–90 minute lifetime', () => {
    const { tokens } = setup();
    const issued = tokens.issueAccessToken({
      kind: 'delegated',
      issuer: `https://login.test/${CUSTOMER_OK}/v2.0`,
      tenantId: CUSTOMER_OK,
      clientId: CLIENT_ID,
      appDisplayName: 'docsync',
      user: admin,
      scopes: ['User.Read.All', 'Directory.Read.All'],
      wids: ['f2ef992c-3afb-46b9-b7cf-a126ee74c451'],
    });
    const [header] = issued.accessToken.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: tokens.kid });
    const claims = claimsOf(issued.accessToken);
    expect(claims).toMatchObject({
      tid: CUSTOMER_OK,
      oid: ADMIN_ID,
      scp: 'User.Read.All Directory.Read.All',
      aud: 'https://graph.microsoft.com',
      appid: CLIENT_ID,
      azp: CLIENT_ID,
      idtyp: 'user',
      iss: `https://login.test/${CUSTOMER_OK}/v2.0`,
      idp: `https://sts.windows.net/${PARTNER}/`,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(issued.expiresIn);
    expect(issued.expiresIn).toBeGreaterThanOrEqual(3600);
    expect(issued.expiresIn).toBeLessThanOrEqual(5400);
  });

  it('draws lifetimes deterministically from the seed, and not all the same', () => {
    const lifetimes = (seed: number) => {
      const { tokens } = setup(seed);
      return Array.from(
        { length: 8 },
        () =>
          tokens.issueAccessToken({ kind: 'app', issuer: 'i', tenantId: PARTNER, clientId: CLIENT_ID, appDisplayName: 'd', roles: [] })
            .expiresIn,
      );
    };
    expect(lifetimes(7)).toEqual(lifetimes(7));
    expect(new Set(lifetimes(7)).size).toBeGreaterThan(1);
  });

  it('verify: delegated and app-only tokens come back as the contract says', () => {
    const { tokens } = setup();
    const delegated = tokens.issueAccessToken({
      kind: 'delegated',
      issuer: 'i',
      tenantId: PARTNER,
      clientId: CLIENT_ID,
      appDisplayName: 'd',
      user: admin,
      scopes: ['User.Read'],
      wids: [],
    });
    expect(tokens.verifyAccessToken(`Bearer ${delegated.accessToken}`)).toEqual({
      tenantId: PARTNER,
      clientId: CLIENT_ID,
      kind: 'delegated',
      userId: ADMIN_ID,
      scopes: ['User.Read'],
      roles: [],
      wids: [],
    });
    const app = tokens.issueAccessToken({
      kind: 'app',
      issuer: 'i',
      tenantId: CUSTOMER_OK,
      clientId: CLIENT_ID,
      appDisplayName: 'd',
      roles: ['User.Read.All'],
    });
    expect(tokens.verifyAccessToken(`bearer ${app.accessToken}`)).toEqual({
      tenantId: CUSTOMER_OK,
      clientId: CLIENT_ID,
      kind: 'app',
      userId: null,
      scopes: [],
      roles: ['User.Read.All'],
      wids: [],
    });
  });

  it('verify: rejects missing, malformed, tampered, expired and foreign-audience tokens with a reason', () => {
    const { tokens, clock } = setup();
    const issued = tokens.issueAccessToken({
      kind: 'app',
      issuer: 'i',
      tenantId: PARTNER,
      clientId: CLIENT_ID,
      appDisplayName: 'd',
      roles: [],
    });
    expect(reasonOf(() => tokens.verifyAccessToken(undefined))).toBe('missing');
    expect(reasonOf(() => tokens.verifyAccessToken('Basic abc'))).toBe('malformed');
    expect(reasonOf(() => tokens.verifyAccessToken('Bearer not-a-jwt'))).toBe('malformed');
    expect(reasonOf(() => tokens.verifyAccessToken('Bearer a.b.c'))).toBe('malformed');
    const [h, p, s] = issued.accessToken.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...claimsOf(issued.accessToken), tid: CUSTOMER_OK })).toString('base64url');
    expect(reasonOf(() => tokens.verifyAccessToken(`Bearer ${h}.${forged}.${s}`))).toBe('bad_signature');
    const foreign = tokens.issueAccessToken({
      kind: 'app',
      issuer: 'i',
      tenantId: PARTNER,
      clientId: CLIENT_ID,
      appDisplayName: 'd',
      roles: [],
      audience: 'https://vault.azure.net',
    });
    expect(reasonOf(() => tokens.verifyAccessToken(`Bearer ${foreign.accessToken}`))).toBe('wrong_audience');
    expect(reasonOf(() => tokens.verifyAccessToken(`Bearer ${h}.${p}.${s}`))).toBe('accepted');
    clock.advance(issued.expiresIn * 1000 - 1000);
    expect(reasonOf(() => tokens.verifyAccessToken(`Bearer ${issued.accessToken}`))).toBe('accepted');
    clock.advance(1000);
    expect(reasonOf(() => tokens.verifyAccessToken(`Bearer ${issued.accessToken}`))).toBe('expired');
  });
});

describe('refresh tokens', () => {
  it('rotate: the successor works and the old one keeps working', () => {
    const { tokens } = setup();
    const first = tokens.issueRefreshToken({ user: admin, clientId: CLIENT_ID });
    const record = tokens.redeemRefreshToken(first, CLIENT_ID);
    const second = tokens.issueRefreshToken({ user: admin, clientId: CLIENT_ID, rotating: record });
    expect(second).not.toBe(first);
    expect(tokens.redeemRefreshToken(second, CLIENT_ID).user.id).toBe(ADMIN_ID);
    expect(tokens.redeemRefreshToken(first, CLIENT_ID).user.id).toBe(ADMIN_ID);
  });

  it('revoking sessions kills the whole chain with AADSTS50173, but a new sign-in works', () => {
    const { tokens, clock } = setup();
    const first = tokens.issueRefreshToken({ user: admin, clientId: CLIENT_ID });
    const second = tokens.issueRefreshToken({ user: admin, clientId: CLIENT_ID, rotating: tokens.redeemRefreshToken(first, CLIENT_ID) });
    clock.advance(MINUTE);
    tokens.revokeRefreshTokens(ADMIN_ID);
    expect(() => tokens.redeemRefreshToken(first, CLIENT_ID)).toThrow(/AADSTS50173/);
    expect(() => tokens.redeemRefreshToken(second, CLIENT_ID)).toThrow(
      expect.objectContaining({ code: 50173, error: 'invalid_grant', suberror: 'bad_token' }),
    );
    const fresh = tokens.issueRefreshToken({ user: admin, clientId: CLIENT_ID });
    expect(tokens.redeemRefreshToken(fresh, CLIENT_ID).user.id).toBe(ADMIN_ID);
  });

  it('expire after 90 days without use (AADSTS700082), not while in use', () => {
    const { tokens, clock } = setup();
    const used = tokens.issueRefreshToken({ user: admin, clientId: CLIENT_ID });
    const idle = tokens.issueRefreshToken({ user: admin, clientId: CLIENT_ID });
    for (let i = 0; i < 4; i++) {
      clock.advance(30 * 24 * 60 * MINUTE);
      tokens.redeemRefreshToken(used, CLIENT_ID);
    }
    expect(() => tokens.redeemRefreshToken(idle, CLIENT_ID)).toThrow(expect.objectContaining({ code: 700082 }));
  });

  it('belong to one client, and unknown strings are rejected as malformed', () => {
    const { tokens } = setup();
    const token = tokens.issueRefreshToken({ user: admin, clientId: CLIENT_ID });
    expect(() => tokens.redeemRefreshToken(token, 'someone-else')).toThrow(expect.objectContaining({ error: 'invalid_grant' }));
    expect(() => tokens.redeemRefreshToken('1.Anonsense', CLIENT_ID)).toThrow(expect.objectContaining({ code: 9002313 }));
  });
});

describe('authorization codes', () => {
  const verifier = 'ThisIsntRandomButItNeedsToBe43CharactersLong';
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const issue = (tokens: ReturnType<typeof setup>['tokens']) =>
    tokens.issueAuthorizationCode({
      user: admin,
      clientId: CLIENT_ID,
      tenantId: PARTNER,
      redirectUri: 'http://localhost/cb',
      scope: 'User.Read',
      codeChallenge: challenge,
      nonce: undefined,
    });

  it('redeem once with the right verifier and redirect URI; twice is AADSTS54005', () => {
    const { tokens } = setup();
    const code = issue(tokens);
    expect(() =>
      tokens.redeemAuthorizationCode(code, { clientId: CLIENT_ID, redirectUri: 'http://localhost/other', codeVerifier: verifier }),
    ).toThrow(/AADSTS500112/);
    expect(() =>
      tokens.redeemAuthorizationCode(code, { clientId: CLIENT_ID, redirectUri: 'http://localhost/cb', codeVerifier: `${verifier}x` }),
    ).toThrow(/AADSTS501481/);
    expect(
      tokens.redeemAuthorizationCode(code, { clientId: CLIENT_ID, redirectUri: 'http://localhost/cb', codeVerifier: verifier }).user.id,
    ).toBe(ADMIN_ID);
    expect(() =>
      tokens.redeemAuthorizationCode(code, { clientId: CLIENT_ID, redirectUri: 'http://localhost/cb', codeVerifier: verifier }),
    ).toThrow(/AADSTS54005/);
  });

  it('expire after 10 minutes', () => {
    const { tokens, clock } = setup();
    const code = issue(tokens);
    clock.advance(10 * MINUTE + 1);
    expect(() =>
      tokens.redeemAuthorizationCode(code, { clientId: CLIENT_ID, redirectUri: 'http://localhost/cb', codeVerifier: verifier }),
    ).toThrow(/AADSTS70008/);
  });
});
