// The real MSAL ConfidentialClientApplication against the emulator over HTTP, through
// docsync's own network client (the production path, only the configuration differs).
import { AuthError, ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMsalNetworkClient, msalAuthorityFor, msalKnownAuthorities } from '../../../src/microsoft/network-client.ts';
import { ADMIN_ID, CLIENT_ID, CLIENT_SECRET, CUSTOMER_EXPIRED, CUSTOMER_OK, PARTNER } from '../../unit/emulator-identity/stub-world.ts';
import { claimsOf, startTestEmulator, type TestEmulator } from './helpers.ts';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ autoConsent: true });
});
afterAll(async () => {
  await emu.close();
});

function msal(secret = CLIENT_SECRET, tenant = PARTNER) {
  const authorityHost = emu.urls.authorityHost;
  return new ConfidentialClientApplication({
    auth: {
      clientId: CLIENT_ID,
      clientSecret: secret,
      authority: msalAuthorityFor(authorityHost, tenant),
      knownAuthorities: msalKnownAuthorities(authorityHost),
    },
    system: { networkClient: createMsalNetworkClient({ authorityHost }) },
  });
}

const graphScopes = () => [`${emu.urls.graphBaseUrl}/User.Read.All`, `${emu.urls.graphBaseUrl}/Directory.Read.All`];

async function failureOf(promise: Promise<unknown>): Promise<AuthError & { errorNo?: string | number }> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return err as AuthError & { errorNo?: string | number };
  }
  throw new Error('expected MSAL to fail');
}

describe('MSAL ConfidentialClientApplication against the emulator', () => {
  it('acquireTokenByCode after the authorize endpoint (auto-consent) redirects with a code', async () => {
    const app = msal();
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const redirectUri = 'http://localhost:5123/auth/microsoft/callback';
    const authorizeUrl = await app.getAuthCodeUrl({
      scopes: graphScopes(),
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      state: 'xyz',
    });
    expect(authorizeUrl.startsWith(msalAuthorityFor(emu.urls.authorityHost, PARTNER))).toBe(true);
    // A browser would follow this URL; the emulator is plain http on loopback.
    const redirect = await fetch(authorizeUrl.replace(/^https:/, 'http:'), { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('xyz');
    const result = await app.acquireTokenByCode({
      code: location.searchParams.get('code')!,
      scopes: graphScopes(),
      redirectUri,
      codeVerifier: verifier,
    });
    expect(result.tenantId).toBe(PARTNER);
    expect(result.account?.homeAccountId).toBe(`${ADMIN_ID}.${PARTNER}`);
    expect(result.scopes).toEqual(expect.arrayContaining(graphScopes()));
    expect(claimsOf(result.accessToken)).toMatchObject({ tid: PARTNER, oid: ADMIN_ID, scp: 'User.Read.All Directory.Read.All' });
    const cached = app.getTokenCache().serialize();
    expect(Object.keys(JSON.parse(cached).RefreshToken)).toHaveLength(1);
  });

  it('acquireTokenByRefreshToken at the partner and at a customer tenant with GDAP access', async () => {
    const app = msal();
    const atPartner = await app.acquireTokenByRefreshToken({ refreshToken: emu.credentials.refreshToken, scopes: graphScopes() });
    expect(atPartner?.tenantId).toBe(PARTNER);
    const atCustomer = await app.acquireTokenByRefreshToken({
      refreshToken: emu.credentials.refreshToken,
      scopes: [`${emu.urls.graphBaseUrl}/.default`],
      authority: msalAuthorityFor(emu.urls.authorityHost, CUSTOMER_OK),
    });
    expect(atCustomer?.tenantId).toBe(CUSTOMER_OK);
    expect(emu.tokens.verifyAccessToken(`Bearer ${atCustomer!.accessToken}`)).toMatchObject({
      tenantId: CUSTOMER_OK,
      kind: 'delegated',
      userId: ADMIN_ID,
    });
  });

  it('acquireTokenByClientCredential in a consented customer tenant', async () => {
    const result = await msal(CLIENT_SECRET, CUSTOMER_OK).acquireTokenByClientCredential({
      scopes: ['https://graph.microsoft.com/.default'],
    });
    expect(claimsOf(result!.accessToken).tid).toBe(CUSTOMER_OK);
    expect(emu.tokens.verifyAccessToken(`Bearer ${result!.accessToken}`)).toMatchObject({
      kind: 'app',
      roles: ['User.Read.All', 'Organization.Read.All'],
    });
  });

  it(
    'errors reach the caller with their AADSTS code: revoked (50173), wrong secret (7000215), no GDAP (50020), unknown tenant ' +
      '(discovery fails)',
    async () => {
      const doomed = emu.control.issuePartnerRefreshToken();
      emu.control.revokeRefreshTokens(ADMIN_ID);
      const revoked = await failureOf(msal().acquireTokenByRefreshToken({ refreshToken: doomed, scopes: graphScopes() }));
      expect(revoked.errorCode).toBe('invalid_grant');
      expect(String(revoked.errorNo)).toBe('50173');
      expect(revoked.subError).toBe('bad_token');
      emu.credentials.refreshToken = emu.control.issuePartnerRefreshToken();

      const wrongSecret = await failureOf(
        msal('not-the-secret', CUSTOMER_OK).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }),
      );
      expect(wrongSecret.errorCode).toBe('invalid_client');
      expect(String(wrongSecret.errorNo)).toBe('7000215');

      const noGdap = await failureOf(
        msal().acquireTokenByRefreshToken({
          refreshToken: emu.credentials.refreshToken,
          scopes: graphScopes(),
          authority: msalAuthorityFor(emu.urls.authorityHost, CUSTOMER_EXPIRED),
        }),
      );
      expect(String(noGdap.errorNo)).toBe('50020');

      // The emulator answers discovery with 400 invalid_tenant AADSTS90002 (identity-platform.test.ts);
      // MSAL reports that, as it does against Microsoft, as an endpoint resolution failure.
      const unknownTenant = await failureOf(
        msal(CLIENT_SECRET, 'nosuchtenant.onmicrosoft.com').acquireTokenByClientCredential({
          scopes: ['https://graph.microsoft.com/.default'],
        }),
      );
      expect(unknownTenant.errorCode).toBe('endpoints_resolution_error');
    },
  );
});
