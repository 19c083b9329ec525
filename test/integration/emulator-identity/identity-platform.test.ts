import { readFileSync } from 'node:fs';
import { microsoftExamplesDir } from '../../support/reference.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_ID,
  ADMIN_PASSWORD,
  ADMIN_UPN,
  CLIENT_ID,
  CLIENT_SECRET,
  CUSTOMER_EXPIRED,
  CUSTOMER_NO_CONSENT,
  CUSTOMER_OK,
  PARTNER,
} from '../../unit/emulator-identity/stub-world.ts';
import { CHALLENGE, VERIFIER, claimsOf, get, postForm, startTestEmulator, type HttpResult, type TestEmulator } from './helpers.ts';

const examples = microsoftExamplesDir;
const example = (name: string) => JSON.parse(readFileSync(`${examples}/${name}`, 'utf8')) as Record<string, unknown>;
const REDIRECT = 'http://127.0.0.1:9/auth/callback';
const GRAPH_SCOPES =
  'https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/Directory.Read.All offline_access openid profile';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
});

const tokenUrl = (tenant: string) => `${emu.urls.authorityHost}/${tenant}/oauth2/v2.0/token`;
const refresh = (tenant: string, refreshToken = emu.credentials.refreshToken, scope = GRAPH_SCOPES, extra: Record<string, string> = {}) =>
  postForm(tokenUrl(tenant), {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    scope,
    ...extra,
  });

function expectStsError(result: HttpResult, status: number, error: string, code: number) {
  expect({ status: result.status, error: result.body.error, codes: result.body.error_codes }).toEqual({ status, error, codes: [code] });
  // Same keys as Microsoft's recorded error (suberror only where Microsoft sends one).
  const keys = Object.keys(result.body)
    .filter((k) => k !== 'suberror')
    .sort();
  expect(keys).toEqual(Object.keys(example('token-error-invalid_tenant-AADSTS90002.recorded.json')).sort());
  expect(result.body.error_description).toMatch(
    new RegExp(
      `^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: .+\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
    ),
  );
  expect(result.body.trace_id).toBe(result.headers.get('x-ms-request-id'));
  expect(result.body.error_uri).toBe(`https://login.microsoftonline.com/error?code=${code}`);
}

describe('discovery', () => {
  it('serves the OpenID configuration with the keys of the live document, issuer = tenant GUID even when asked by domain', async () => {
    const result = await get(`${emu.urls.authorityHost}/contoso.com/v2.0/.well-known/openid-configuration`);
    expect(result.status).toBe(200);
    expect(Object.keys(result.body).sort()).toEqual(Object.keys(example('openid-configuration.json')).sort());
    expect(result.body.issuer).toBe(`${emu.urls.authorityHost}/${CUSTOMER_OK}/v2.0`);
    expect(result.body.token_endpoint).toBe(`${emu.urls.authorityHost}/${CUSTOMER_OK}/oauth2/v2.0/token`);
    expect(result.headers.get('cache-control')).toBe('max-age=86400, private');
  });

  it('names https URLs when the client says it came over https (X-Forwarded-Proto)', async () => {
    const result = await get(`${emu.urls.authorityHost}/${PARTNER}/v2.0/.well-known/openid-configuration`, {
      'x-forwarded-proto': 'https',
    });
    expect(result.body.issuer).toBe(`${emu.urls.authorityHost.replace('http:', 'https:')}/${PARTNER}/v2.0`);
  });

  it('answers an unknown tenant with 400 invalid_tenant AADSTS90002, echoing the client request id', async () => {
    const result = await get(`${emu.urls.authorityHost}/nosuchtenant.onmicrosoft.com/v2.0/.well-known/openid-configuration`, {
      'x-ms-client-request-id': 'fc8d1d37-6c1f-4ce4-9242-8b2a8b490e08',
    });
    expectStsError(result, 400, 'invalid_tenant', 90002);
    expect(result.body.correlation_id).toBe('fc8d1d37-6c1f-4ce4-9242-8b2a8b490e08');
    expect(result.headers.get('cache-control')).toBe('private');
  });

  it('answers MSAL instance discovery for its own host and refuses other hosts', async () => {
    const host = new URL(emu.urls.authorityHost).host;
    const ok = await get(
      `${emu.urls.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`https://${host}/${PARTNER}/oauth2/v2.0/authorize`)}`,
    );
    expect(ok.body).toMatchObject({
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
    expect(ok.body.tenant_discovery_endpoint).toBe(`${emu.urls.authorityHost}/${PARTNER}/v2.0/.well-known/openid-configuration`);
    const other = await get(
      `${emu.urls.authorityHost}/common/discovery/instance?api-version=1.1` +
        '&authorization_endpoint=https%3A%2F%2Fevil.example%2Fcommon%2Foauth2%2Fv2.0%2Fauthorize',
    );
    expect(other.status).toBe(400);
    expect(other.body.error).toBe('invalid_instance');
  });

  it('publishes the signing key as a JWKS whose kid signs the tokens', async () => {
    const jwks = await get(`${emu.urls.authorityHost}/${PARTNER}/discovery/v2.0/keys`);
    const keys = jwks.body.keys as Record<string, unknown>[];
    expect(keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', kid: emu.tokens.kid, e: 'AQAB' });
    const token = await refresh(PARTNER);
    const header = JSON.parse(Buffer.from(String(token.body.access_token).split('.')[0]!, 'base64url').toString());
    expect(header.kid).toBe(keys[0]!.kid);
  });
});

describe('authorization code flow', () => {
  const authorizeUrl = (params: Record<string, string>) =>
    `${emu.urls.authorityHost}/organizations/oauth2/v2.0/authorize?${new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: GRAPH_SCOPES,
      state: 'st-42',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      ...params,
    })}`;

  it('shows a sign-in and consent page, refuses a wrong password, then redirects with code and state', async () => {
    const page = await get(authorizeUrl({ login_hint: ADMIN_UPN }));
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post">');
    expect(page.text).toContain('User.Read.All');
    const fields = Object.fromEntries(
      [...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]),
    );
    const wrong = await postForm(`${emu.urls.authorityHost}/organizations/oauth2/v2.0/authorize`, {
      ...fields,
      login: ADMIN_UPN,
      passwd: 'nope',
      decision: 'accept',
    });
    expect(wrong.status).toBe(200);
    expect(wrong.text).toContain('AADSTS50126');
    const right = await postForm(`${emu.urls.authorityHost}/organizations/oauth2/v2.0/authorize`, {
      ...fields,
      login: ADMIN_UPN.toUpperCase(),
      passwd: ADMIN_PASSWORD,
      decision: 'accept',
    });
    expect(right.status).toBe(302);
    const location = new URL(right.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st-42');
    const code = location.searchParams.get('code')!;

    const form = {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
      scope: GRAPH_SCOPES,
    };
    const tokens = await postForm(tokenUrl('organizations'), form);
    expect(tokens.status).toBe(200);
    expect(Object.keys(tokens.body).sort()).toEqual([
      'access_token',
      'expires_in',
      'ext_expires_in',
      'id_token',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    expect(tokens.body.scope).toBe(
      'openid profile https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/Directory.Read.All',
    );
    expect(claimsOf(String(tokens.body.access_token))).toMatchObject({
      tid: PARTNER,
      oid: ADMIN_ID,
      scp: 'User.Read.All Directory.Read.All',
    });
    expect(claimsOf(String(tokens.body.id_token))).toMatchObject({ aud: CLIENT_ID, preferred_username: ADMIN_UPN, tid: PARTNER });
    expect(tokens.headers.get('cache-control')).toBe('no-store, no-cache');
    expect(tokens.headers.get('pragma')).toBe('no-cache');

    expectStsError(await postForm(tokenUrl('organizations'), form), 400, 'invalid_grant', 54005);
  });

  it('cancel sends access_denied back to the redirect URI', async () => {
    const cancelled = await postForm(authorizeUrl({}), { decision: 'cancel' });
    const location = new URL(cancelled.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-42');
  });

  it('requires PKCE S256: a request without it comes back as invalid_request on the redirect', async () => {
    const result = await get(authorizeUrl({ code_challenge_method: 'plain' }));
    expect(result.status).toBe(302);
    const location = new URL(result.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/^AADSTS9002325:/);
  });

  it('shows an error page (no redirect) for an unknown client', async () => {
    const result = await get(authorizeUrl({ client_id: 'ffffffff-0000-4000-8000-000000000000' }));
    expect(result.status).toBe(400);
    expect(result.text).toContain('AADSTS700016');
  });

  it('with auto-consent redirects at once for the partner admin, and a wrong verifier or tenant fails the redemption', async () => {
    emu.control.setAutoConsent(true);
    try {
      const redirect = await get(authorizeUrl({}));
      expect(redirect.status).toBe(302);
      const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
      const base = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'authorization_code', code, redirect_uri: REDIRECT };
      expectStsError(await postForm(tokenUrl(PARTNER), { ...base, code_verifier: `${VERIFIER}-wrong` }), 400, 'invalid_grant', 501481);
      expectStsError(await postForm(tokenUrl(CUSTOMER_OK), { ...base, code_verifier: VERIFIER }), 400, 'invalid_grant', 700005);
      expect((await postForm(tokenUrl(PARTNER), { ...base, code_verifier: VERIFIER })).status).toBe(200);
    } finally {
      emu.control.setAutoConsent(false);
    }
  });

  it('an expired code (10 minutes) is refused', async () => {
    emu.control.setAutoConsent(true);
    try {
      const code = new URL((await get(authorizeUrl({}))).headers.get('location')!).searchParams.get('code')!;
      emu.clock.advance(11 * 60_000);
      const result = await postForm(tokenUrl(PARTNER), {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: VERIFIER,
      });
      expectStsError(result, 400, 'invalid_grant', 70008);
    } finally {
      emu.control.setAutoConsent(false);
    }
  });
});

describe('refresh token grant', () => {
  it('at the partner: a new refresh token each time, and the old one still works', async () => {
    const first = await refresh(PARTNER);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(emu.credentials.refreshToken);
    expect((await refresh(PARTNER, String(first.body.refresh_token))).status).toBe(200);
    expect((await refresh(PARTNER)).status).toBe(200);
  });

  it('at a customer with active GDAP and consent: a token for that tenant with the GDAP roles as wids', async () => {
    const result = await refresh(
      CUSTOMER_OK,
      emu.credentials.refreshToken,
      'https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/Mail.Read offline_access',
    );
    expect(result.status).toBe(200);
    const claims = claimsOf(String(result.body.access_token));
    // Mail.Read was asked for but is not consented there: scp is the intersection.
    expect(claims).toMatchObject({
      tid: CUSTOMER_OK,
      oid: ADMIN_ID,
      scp: 'User.Read.All',
      wids: ['f2ef992c-3afb-46b9-b7cf-a126ee74c451'],
      idtyp: 'user',
    });
    expect(result.body.scope).toBe('https://graph.microsoft.com/User.Read.All');
    expect(emu.tokens.verifyAccessToken(`Bearer ${result.body.access_token}`)).toMatchObject({
      tenantId: CUSTOMER_OK,
      kind: 'delegated',
      scopes: ['User.Read.All'],
    });
  });

  it('.default gives every consented delegated scope', async () => {
    const result = await refresh(
      'contoso.onmicrosoft.com',
      emu.credentials.refreshToken,
      'https://graph.microsoft.com/.default offline_access',
    );
    expect(String(claimsOf(String(result.body.access_token)).scp).split(' ')).toEqual([
      'User.Read',
      'User.Read.All',
      'Directory.Read.All',
      'DeviceManagementManagedDevices.Read.All',
    ]);
  });

  it('at a customer whose GDAP relationship expired: AADSTS50020', async () => {
    expectStsError(await refresh(CUSTOMER_EXPIRED), 400, 'invalid_grant', 50020);
  });

  it('at a customer where the app is not consented: AADSTS65001 consent_required', async () => {
    const result = await refresh(CUSTOMER_NO_CONSENT);
    expectStsError(result, 400, 'invalid_grant', 65001);
    expect(result.body.suberror).toBe('consent_required');
  });

  it('after the sessions are revoked (admin API): AADSTS50173 with suberror bad_token', async () => {
    const own = emu.control.issuePartnerRefreshToken();
    const response = await fetch(`${emu.urls.authorityHost}/_emulator/identity/revoke-sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: ADMIN_ID }),
    });
    expect(response.status).toBe(204);
    const result = await refresh(PARTNER, own);
    expectStsError(result, 400, 'invalid_grant', 50173);
    expect(result.body.suberror).toBe('bad_token');
    emu.credentials.refreshToken = emu.control.issuePartnerRefreshToken();
    expect((await refresh(PARTNER)).status).toBe(200);
  });

  it('a scope of an unknown resource is invalid_scope AADSTS70011', async () => {
    expectStsError(await refresh(PARTNER, emu.credentials.refreshToken, 'https://foo.microsoft.com/.default'), 400, 'invalid_scope', 70011);
  });
});

describe('client credentials grant', () => {
  const appToken = (
    tenant: string,
    scope = 'https://graph.microsoft.com/.default',
    headers: Record<string, string> = {},
    secret: string | null = CLIENT_SECRET,
  ) =>
    postForm(
      tokenUrl(tenant),
      { client_id: CLIENT_ID, ...(secret !== null ? { client_secret: secret } : {}), grant_type: 'client_credentials', scope },
      headers,
    );

  it('issues an app-only token with the consented app roles and the documented response keys', async () => {
    const result = await appToken(CUSTOMER_OK);
    expect(result.status).toBe(200);
    expect(Object.keys(result.body).sort()).toEqual(Object.keys(example('token-client_credentials.recorded.json')).sort());
    expect(claimsOf(String(result.body.access_token))).toMatchObject({
      tid: CUSTOMER_OK,
      roles: ['User.Read.All', 'Organization.Read.All'],
      idtyp: 'app',
      appid: CLIENT_ID,
    });
  });

  it('accepts client_secret_basic', async () => {
    const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
    const result = await postForm(
      tokenUrl(CUSTOMER_OK),
      { grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' },
      { authorization: `Basic ${basic}` },
    );
    expect(result.status).toBe(200);
  });

  it(
    'refuses: no consent (700016), wrong secret (401, 7000215), missing secret (401), unknown client, unknown tenant, scope without ' +
      '/.default',
    async () => {
      expectStsError(await appToken(CUSTOMER_NO_CONSENT), 400, 'unauthorized_client', 700016);
      const wrong = await appToken(CUSTOMER_OK, undefined, {}, 'not-the-secret');
      expectStsError(wrong, 401, 'invalid_client', 7000215);
      expect(Object.keys(wrong.body).sort()).toEqual(Object.keys(example('token-error-invalid_client-AADSTS7000215.json')).sort());
      expectStsError(await appToken(CUSTOMER_OK, undefined, {}, null), 401, 'invalid_client', 7000218);
      const unknown = await postForm(tokenUrl(CUSTOMER_OK), {
        client_id: 'ffffffff-0000-4000-8000-000000000000',
        client_secret: 'x',
        grant_type: 'client_credentials',
        scope: 'https://graph.microsoft.com/.default',
      });
      expectStsError(unknown, 400, 'unauthorized_client', 700016);
      expectStsError(await appToken('00000000-0000-4000-8000-00000000dead'), 400, 'invalid_tenant', 90002);
      expectStsError(await appToken(CUSTOMER_OK, 'https://graph.microsoft.com/User.Read.All'), 400, 'invalid_scope', 1002012);
    },
  );
});

describe('bad requests get AADSTS-shaped 4xx answers, never a crash', () => {
  it.each([
    ['no grant_type', { client_id: CLIENT_ID }, 900144],
    ['an unknown grant_type', { grant_type: 'password', client_id: CLIENT_ID }, 70003],
    ['no refresh_token', { grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, 900144],
    [
      'a garbage refresh_token',
      { grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: '%%%' },
      9002313,
    ],
    [
      'a garbage code',
      { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code: 'x', redirect_uri: REDIRECT },
      9002313,
    ],
  ])('%s', async (_name, form, code) => {
    const result = await postForm(tokenUrl(PARTNER), form as Record<string, string>);
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(result.status).toBeLessThan(500);
    expect(result.body.error_codes).toEqual([code]);
  });

  it('JSON instead of a form, broken JSON, GET on the token endpoint, unknown paths', async () => {
    const json = await fetch(tokenUrl(PARTNER), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":"client_credentials"}',
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error_codes: number[] }).error_codes).toEqual([900144]);
    const broken = await fetch(tokenUrl(PARTNER), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toBe('invalid_request');
    const getToken = await get(tokenUrl(PARTNER));
    expect(getToken.status).toBe(405);
    expect(getToken.body.error_codes).toEqual([900561]);
    const missing = await get(`${emu.urls.authorityHost}/nothing/here`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('invalid_request');
  });
});
