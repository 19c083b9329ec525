// Routes of the emulated identity platform (login.microsoftonline.com):
//   GET  /common/discovery/instance                        instance discovery (what MSAL asks first)
//   GET  /{tenant}/v2.0/.well-known/openid-configuration   OIDC discovery
//   GET  /{tenant}/discovery/v2.0/keys                     JWKS
//   GET|POST /{tenant}/oauth2/v2.0/authorize               sign-in + consent page, PKCE S256
//   POST /{tenant}/oauth2/v2.0/token                       authorization_code, refresh_token, client_credentials
//   GET|POST /{tenant}/adminconsent                        admin consent for the partner's app in a tenant
// Shapes and headers follow https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
// and https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorClock, IdentityWorld } from '../world-types.ts';
import { errorPage, signInPage } from './authorize-page.ts';
import { StsError, sts, stsErrorBody } from './errors.ts';
import { grantedDelegatedScopes, parseScopes, responseScope, type ParsedScopes } from './scopes.ts';
import { partnerAdminUser, type SignedInUser, type TokenService } from './tokens.ts';
import { partnerStaff } from './staff.ts';

export interface IdentityRoutesOptions {
  world: IdentityWorld;
  tokens: TokenService;
  clock: EmulatorClock;
  /** Scripted runs: /authorize redirects at once with a code for the partner admin. */
  autoConsent: () => boolean;
  /** Extra identifiers under which clients may name Graph in scopes (the emulator's Graph URL). */
  graphIdentifiers: () => string[];
}

const TENANT_ALIASES = new Set(['common', 'organizations']);

/** Headers the STS sends on token responses and errors (examples/token-*.recorded.txt). */
const STS_HEADERS = {
  'cache-control': 'no-store, no-cache',
  pragma: 'no-cache',
  expires: '-1',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  p3p: 'CP="DSP CUR OTPi IND OTRi ONL FIN"',
  'x-ms-ests-server': '2.1.0.0 - EMU ProdSlices',
};

/** The origin clients believe they talk to. docsync's MSAL network client reaches a loopback
 *  emulator over http but tells MSAL it is https (MSAL refuses http authorities) and says so
 *  with X-Forwarded-Proto, so discovery documents name https URLs that pass MSAL's issuer check. */
export function publicOrigin(request: FastifyRequest): string {
  const proto = request.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${request.headers.host ?? 'localhost'}`;
}

export function correlationIdOf(request: FastifyRequest): string {
  const header = request.headers['client-request-id'] ?? request.headers['x-ms-client-request-id'];
  if (typeof header === 'string' && header.length > 0) return header;
  const body = request.body as Record<string, unknown> | undefined;
  const fromBody = body && typeof body === 'object' ? body['client-request-id'] : undefined;
  if (typeof fromBody === 'string' && fromBody.length > 0) return fromBody;
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.['client-request-id'];
  if (typeof fromQuery === 'string' && fromQuery.length > 0) return fromQuery;
  return request.id;
}

/** Sends an STS error in Microsoft's shape; trace_id == x-ms-request-id == the request id. */
export function sendStsError(request: FastifyRequest, reply: FastifyReply, err: StsError, now: Date): FastifyReply {
  const body = stsErrorBody(err, { traceId: request.id, correlationId: correlationIdOf(request), now });
  return reply
    .status(err.status)
    .headers({ ...STS_HEADERS, 'x-ms-request-id': request.id, 'x-ms-clitelem': `1,${err.code},0,,`, ...err.headers })
    .type('application/json; charset=utf-8')
    .send(body);
}

const formField = (body: unknown, name: string): string | undefined => {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
};

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export async function registerIdentityRoutes(app: FastifyInstance, options: IdentityRoutesOptions): Promise<void> {
  const { world, tokens, clock } = options;
  const partner = world.partner;
  const partnerAdmin = partnerAdminUser(partner);
  const staff = partnerStaff(partner);
  /** Consent given on the sign-in page, on top of what the world says is consented. */
  const userConsents = new Map<string, Set<string>>();

  const consentedScopes = (tenantId: string, clientId: string): string[] => {
    const scopes = new Set(world.appConsented(tenantId, clientId) ? world.delegatedScopes(tenantId, clientId) : []);
    for (const s of userConsents.get(`${tenantId}|${clientId}`) ?? []) scopes.add(s);
    return [...scopes];
  };

  /** Tenant path segment → tenant GUID; undefined for common/organizations. */
  const resolveTenant = (segment: string): string | undefined => {
    if (TENANT_ALIASES.has(segment.toLowerCase())) return undefined;
    const id = world.resolveTenantId(segment);
    if (!id) throw sts.invalidTenant(segment);
    return id;
  };

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof StsError) return sendStsError(request, reply, error, clock.now());
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendStsError(request, reply, sts.malformed(), clock.now());
    request.log.error({ err: error }, 'identity platform request failed');
    return sendStsError(request, reply, sts.serverError(), clock.now());
  });
  app.setNotFoundHandler((request, reply) => sendStsError(request, reply, sts.notFound(), clock.now()));

  // --- discovery ------------------------------------------------------------------------

  app.get('/common/discovery/instance', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const origin = publicOrigin(request);
    const host = new URL(origin).host;
    let authorizationEndpoint: URL;
    try {
      authorizationEndpoint = new URL(query.authorization_endpoint ?? '');
    } catch {
      throw sts.missingParameter('authorization_endpoint');
    }
    if (authorizationEndpoint.host.toLowerCase() !== host.toLowerCase()) {
      throw new StsError(400, 'invalid_instance', 50049, 'Unknown or invalid instance.');
    }
    const tenant = authorizationEndpoint.pathname.split('/').filter(Boolean)[0] ?? 'common';
    return reply.headers({ 'cache-control': 'max-age=86400, private', 'x-ms-request-id': request.id }).send({
      tenant_discovery_endpoint: `${origin}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  });

  app.get<{ Params: { tenant: string } }>('/:tenant/v2.0/.well-known/openid-configuration', async (request, reply) => {
    const { tenant } = request.params;
    let tenantPath: string;
    try {
      tenantPath = resolveTenant(tenant) ?? tenant.toLowerCase();
    } catch (err) {
      // Discovery errors carry Cache-Control: private, not no-store (token-error-invalid_tenant-AADSTS90002.recorded.txt).
      const body = stsErrorBody(err as StsError, { traceId: request.id, correlationId: correlationIdOf(request), now: clock.now() });
      return reply
        .status(400)
        .headers({ 'cache-control': 'private', 'x-ms-request-id': request.id, 'x-ms-ests-server': STS_HEADERS['x-ms-ests-server'] })
        .send(body);
    }
    const origin = publicOrigin(request);
    const base = `${origin}/${tenantPath}`;
    const issuerTenant = TENANT_ALIASES.has(tenantPath) ? '{tenantid}' : tenantPath;
    return reply
      .headers({
        'cache-control': 'max-age=86400, private',
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, OPTIONS',
        'strict-transport-security': STS_HEADERS['strict-transport-security'],
        'x-content-type-options': 'nosniff',
        'x-ms-request-id': request.id,
        'x-ms-ests-server': STS_HEADERS['x-ms-ests-server'],
      })
      .type('application/json; charset=utf-8')
      .send({
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${origin}/${issuerTenant}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: [
          'sub',
          'iss',
          'cloud_instance_name',
          'cloud_instance_host_name',
          'cloud_graph_host_name',
          'msgraph_host',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'acr',
          'nonce',
          'preferred_username',
          'name',
          'tid',
          'ver',
          'at_hash',
          'c_hash',
          'email',
        ],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      });
  });

  app.get<{ Params: { tenant: string } }>('/:tenant/discovery/v2.0/keys', async (request, reply) => {
    const tenantId = resolveTenant(request.params.tenant);
    const jwks = tokens.jwks();
    const issuer = `${publicOrigin(request)}/${tenantId ?? '{tenantid}'}/v2.0`;
    return reply
      .headers({ 'cache-control': 'max-age=86400, private', 'access-control-allow-origin': '*', 'x-ms-request-id': request.id })
      .send({ keys: jwks.keys.map((k) => ({ ...k, issuer })) });
  });

  // --- authorize ------------------------------------------------------------------------

  type AuthorizeParams = Record<string, string>;

  /** Checks that must pass before we may redirect back: an error here is shown as a page. */
  const checkBeforeRedirect = (tenantSegment: string, params: AuthorizeParams): { tenantId: string; redirectUri: string } => {
    const tenantId = resolveTenant(tenantSegment) ?? partner.tenantId;
    if (!params.client_id) throw sts.missingParameter('client_id');
    if (params.client_id !== partner.app.clientId) throw sts.unknownClient(params.client_id, tenantSegment);
    const redirectUri = params.redirect_uri;
    if (!redirectUri) throw sts.missingParameter('redirect_uri');
    let parsed: URL;
    try {
      parsed = new URL(redirectUri);
    } catch {
      throw new StsError(
        400,
        'invalid_request',
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application ` +
          `'${params.client_id}'.`,
      );
    }
    // The emulated app registration accepts any http(s) redirect URI: docsync's callback URL is configuration.
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new StsError(
        400,
        'invalid_request',
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application ` +
          `'${params.client_id}'.`,
      );
    }
    return { tenantId, redirectUri };
  };

  /** Checks whose failure goes back to the client as ?error=… on the redirect URI. */
  const checkProtocol = (params: AuthorizeParams, tenantId: string): ParsedScopes => {
    if (params.response_type !== 'code') {
      throw new StsError(
        400,
        'unsupported_response_type',
        700054,
        `response_type '${params.response_type ?? ''}' is not enabled for the application.`,
      );
    }
    if (params.response_mode && params.response_mode !== 'query') {
      throw new StsError(400, 'invalid_request', 900144, "The emulator only supports response_mode 'query'.");
    }
    if (!params.code_challenge || params.code_challenge_method !== 'S256') {
      throw new StsError(
        400,
        'invalid_request',
        9002325,
        'Proof Key for Code Exchange (S256) is required for the authorization code flow.',
      );
    }
    if (tenantId !== partner.tenantId) {
      // Only the partner's own users can sign in; a customer tenant has no account for them.
      throw sts.userNotInTenant(
        partner.adminUser.userPrincipalName,
        partner.tenantId,
        tenantId,
        partner.app.clientId,
        partner.app.displayName,
      );
    }
    return parseScopes(params.scope, options.graphIdentifiers());
  };

  const redirectWith = (reply: FastifyReply, redirectUri: string, values: Record<string, string | undefined>) => {
    const url = new URL(redirectUri);
    for (const [name, value] of Object.entries(values)) if (value !== undefined) url.searchParams.set(name, value);
    return reply.status(302).header('location', url.toString()).header('cache-control', 'no-store, no-cache').send();
  };

  const redirectError = (request: FastifyRequest, reply: FastifyReply, redirectUri: string, err: StsError, state: string | undefined) => {
    const body = stsErrorBody(err, { traceId: request.id, correlationId: correlationIdOf(request), now: clock.now() });
    return redirectWith(reply, redirectUri, {
      error: err.error,
      error_description: String(body.error_description),
      error_uri: String(body.error_uri),
      state,
    });
  };

  const issueCodeAndRedirect = (
    reply: FastifyReply,
    params: AuthorizeParams,
    tenantId: string,
    redirectUri: string,
    parsed: ParsedScopes,
    user: SignedInUser = partnerAdmin,
  ) => {
    const consent = userConsents.get(`${tenantId}|${params.client_id}`) ?? new Set<string>();
    for (const s of parsed.resourceScopes) if (s !== '.default') consent.add(s);
    userConsents.set(`${tenantId}|${params.client_id}`, consent);
    const code = tokens.issueAuthorizationCode({
      user,
      clientId: params.client_id!,
      tenantId,
      redirectUri,
      scope: params.scope ?? '',
      codeChallenge: params.code_challenge!,
      nonce: params.nonce,
    });
    return redirectWith(reply, redirectUri, {
      code,
      client_info: params.client_info === '1' ? clientInfo(user) : undefined,
      state: params.state,
      session_state: createHash('sha256').update(`${user.id}|session`).digest('hex').slice(0, 36),
    });
  };

  const handleAuthorize = async (
    request: FastifyRequest<{ Params: { tenant: string } }>,
    reply: FastifyReply,
    params: AuthorizeParams,
    submitted: boolean,
  ) => {
    let target: { tenantId: string; redirectUri: string };
    try {
      target = checkBeforeRedirect(request.params.tenant, params);
    } catch (err) {
      if (!(err instanceof StsError)) throw err;
      return reply
        .status(400)
        .type('text/html; charset=utf-8')
        .header('x-ms-request-id', request.id)
        .send(errorPage(`AADSTS${err.code}: ${err.description}`));
    }
    let parsed: ParsedScopes;
    try {
      parsed = checkProtocol(params, target.tenantId);
    } catch (err) {
      if (!(err instanceof StsError)) throw err;
      return redirectError(request, reply, target.redirectUri, err, params.state);
    }
    // Scripted runs skip the page for the GDAP connect flow only; a sign-in (OpenID scopes alone,
    // as single sign-on asks) always shows it, so a person chooses who signs in.
    const signInOnly = parsed.resourceScopes.length === 0 && parsed.oidc.has('openid');
    if (!submitted && options.autoConsent() && !signInOnly) {
      return issueCodeAndRedirect(reply, params, target.tenantId, target.redirectUri, parsed);
    }
    const page = (error: string | undefined) =>
      reply
        .status(200)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store, no-cache')
        .header('x-ms-request-id', request.id)
        .send(
          signInPage({
            appDisplayName: partner.app.displayName,
            tenantName: partner.displayName,
            permissions: parsed.resourceScopes.length > 0 ? parsed.resourceScopes : ['Sign you in and read your profile'],
            params,
            loginHint: params.login ?? params.login_hint,
            error,
          }),
        );
    if (!submitted) return page(undefined);
    if (params.decision === 'cancel') {
      return redirectError(
        request,
        reply,
        target.redirectUri,
        new StsError(400, 'access_denied', 65004, 'User declined to consent to access the app.'),
        params.state,
      );
    }
    const login = (params.login ?? '').trim().toLowerCase();
    if (login !== partner.adminUser.userPrincipalName.toLowerCase() || !sameSecret(params.passwd ?? '', partner.adminUser.password)) {
      const member = staff.find((s) => s.userPrincipalName.toLowerCase() === login);
      if (!member || !sameSecret(params.passwd ?? '', member.password)) {
        return page('AADSTS50126: Error validating credentials due to invalid username or password.');
      }
      // Microsoft checks the password first, then says the account is disabled (AADSTS50057).
      if (!member.accountEnabled) {
        return page('AADSTS50057: The user account is disabled. The account has been disabled by an administrator.');
      }
      const { password: _password, accountEnabled: _enabled, ...user } = member;
      return issueCodeAndRedirect(reply, params, target.tenantId, target.redirectUri, parsed, user);
    }
    return issueCodeAndRedirect(reply, params, target.tenantId, target.redirectUri, parsed);
  };

  const stringRecord = (value: unknown): AuthorizeParams => {
    const out: AuthorizeParams = {};
    if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
    return out;
  };

  app.get<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/authorize', (request, reply) =>
    handleAuthorize(request, reply, stringRecord(request.query), false),
  );
  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/authorize', (request, reply) =>
    handleAuthorize(request, reply, { ...stringRecord(request.query), ...stringRecord(request.body) }, true),
  );

  app.get<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/logout', async (request, reply) => {
    const target = stringRecord(request.query).post_logout_redirect_uri;
    if (target) return reply.status(302).header('location', target).send();
    return reply.type('text/html; charset=utf-8').send('<!doctype html><title>Signed out</title><p>You signed out of your account.</p>');
  });

  // --- admin consent (v2 /adminconsent: docsync links technicians here when consent is missing) ---

  const handleAdminConsent = async (
    request: FastifyRequest<{ Params: { tenant: string } }>,
    reply: FastifyReply,
    params: AuthorizeParams,
    submitted: boolean,
  ) => {
    const html = (status: number, body: string) =>
      reply.status(status).type('text/html; charset=utf-8').header('x-ms-request-id', request.id).send(body);
    let tenantId: string;
    try {
      const resolved = resolveTenant(request.params.tenant);
      if (!resolved) throw sts.invalidTenant(request.params.tenant);
      tenantId = resolved;
      if (!params.client_id) throw sts.missingParameter('client_id');
      if (params.client_id !== partner.app.clientId) throw sts.unknownClient(params.client_id, request.params.tenant);
      if (params.redirect_uri && !/^https?:\/\//i.test(params.redirect_uri)) throw sts.malformed();
    } catch (err) {
      if (!(err instanceof StsError)) throw err;
      return html(400, errorPage(`AADSTS${err.code}: ${err.description}`));
    }
    const grantable = world as unknown as {
      restoreConsent?: (tenantId: string, clientId?: string) => void;
      grantDelegatedScopes?: (tenantId: string, scopes: string[]) => void;
    };
    const done = () => {
      if (typeof grantable.restoreConsent !== 'function') return html(501, errorPage('This emulated world cannot record admin consent.'));
      grantable.restoreConsent(tenantId, params.client_id);
      // v2 admin consent with a scope list (dynamic consent) also consents those scopes.
      let asked: string[];
      try {
        asked = parseScopes(params.scope, options.graphIdentifiers()).resourceScopes.filter((s) => s !== '.default');
      } catch {
        asked = [];
      }
      if (asked.length > 0) grantable.grantDelegatedScopes?.(tenantId, asked);
      // Microsoft's documented success redirect: ?admin_consent=True&tenant=…&state=… (E:clientcreds).
      if (params.redirect_uri)
        return redirectWith(reply, params.redirect_uri, { admin_consent: 'True', tenant: tenantId, state: params.state });
      return html(
        200,
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Permissions granted</title></head><body><main><h1>Permissions ' +
          'granted</h1><p>You can close this window.</p></main></body></html>\n',
      );
    };
    if (!submitted && options.autoConsent()) return done();
    const page = (error: string | undefined) =>
      html(
        200,
        signInPage({
          appDisplayName: partner.app.displayName,
          tenantName: tenantId,
          permissions: ['Consent on behalf of your organization to every permission the app requests'],
          params,
          loginHint: params.login,
          error,
        }),
      );
    if (!submitted) return page(undefined);
    if (params.decision === 'cancel') {
      if (params.redirect_uri)
        return redirectWith(reply, params.redirect_uri, {
          error: 'access_denied',
          error_description: 'The admin canceled the request',
          state: params.state,
        });
      return html(200, errorPage('The admin canceled the request.'));
    }
    const login = (params.login ?? '').trim().toLowerCase();
    if (login !== partner.adminUser.userPrincipalName.toLowerCase() || !sameSecret(params.passwd ?? '', partner.adminUser.password)) {
      return page('AADSTS50126: Error validating credentials due to invalid username or password.');
    }
    return done();
  };

  app.get<{ Params: { tenant: string } }>('/:tenant/adminconsent', (request, reply) =>
    handleAdminConsent(request, reply, stringRecord(request.query), false),
  );
  app.post<{ Params: { tenant: string } }>('/:tenant/adminconsent', (request, reply) =>
    handleAdminConsent(request, reply, { ...stringRecord(request.query), ...stringRecord(request.body) }, true),
  );

  // --- token ----------------------------------------------------------------------------

  app.get('/:tenant/oauth2/v2.0/token', async () => {
    throw sts.methodNotAllowed();
  });

  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (request, reply) => {
    const contentType = String(request.headers['content-type'] ?? '');
    if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) throw sts.missingParameter('grant_type');
    const body = request.body;
    const field = (name: string) => formField(body, name);
    const tenantSegment = request.params.tenant;
    const tenantId = resolveTenant(tenantSegment);

    const grantType = field('grant_type');
    if (!grantType) throw sts.missingParameter('grant_type');
    if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grantType)) throw sts.unsupportedGrantType(grantType);

    const clientId = authenticateClient(request, tenantSegment);
    const origin = publicOrigin(request);
    const issuerFor = (tid: string) => `${origin}/${tid}/v2.0`;

    if (grantType === 'client_credentials') {
      if (!tenantId) {
        throw new StsError(
          400,
          'invalid_request',
          900023,
          `Specified tenant identifier '${tenantSegment}' is neither a valid DNS name, nor a valid external domain. Client credentials ` +
            `require a tenant.`,
        );
      }
      const parsed = parseScopes(field('scope'), options.graphIdentifiers());
      const scope = field('scope') ?? '';
      if (parsed.oidc.size > 0 || parsed.resourceScopes.length !== 1 || parsed.resourceScopes[0] !== '.default')
        throw sts.clientCredentialsScope(scope);
      // Without admin consent the app has no service principal in that tenant.
      if (!world.appConsented(tenantId, clientId)) throw sts.unknownClient(clientId, tenantId);
      const issued = tokens.issueAccessToken({
        kind: 'app',
        issuer: issuerFor(tenantId),
        tenantId,
        clientId,
        appDisplayName: partner.app.displayName,
        roles: world.appRoles(tenantId, clientId),
      });
      return sendTokenResponse(request, reply, {
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        ext_expires_in: issued.expiresIn,
        access_token: issued.accessToken,
      });
    }

    if (grantType === 'authorization_code') {
      const code = field('code');
      if (!code) throw sts.missingParameter('code');
      const redirectUri = field('redirect_uri');
      if (!redirectUri) throw sts.missingParameter('redirect_uri');
      const record = tokens.redeemAuthorizationCode(code, { clientId, redirectUri, codeVerifier: field('code_verifier'), tenantId });
      return issueDelegated(request, reply, {
        tenantId: record.tenantId,
        user: record.user,
        clientId,
        scope: field('scope') ?? record.scope,
        nonce: record.nonce,
        issuer: issuerFor(record.tenantId),
        rotating: undefined,
      });
    }

    const refreshToken = field('refresh_token');
    if (!refreshToken) throw sts.missingParameter('refresh_token');
    const record = tokens.redeemRefreshToken(refreshToken, clientId);
    const target = tenantId ?? record.user.homeTenantId;
    return issueDelegated(request, reply, {
      tenantId: target,
      user: record.user,
      clientId,
      scope: field('scope'),
      nonce: undefined,
      issuer: issuerFor(target),
      rotating: record,
    });
  });

  /** client_secret_post or client_secret_basic (RFC 6749 §2.3.1: form-encoded id and secret inside Basic). */
  function authenticateClient(request: FastifyRequest, tenantSegment: string): string {
    let clientId = formField(request.body, 'client_id');
    let secret = formField(request.body, 'client_secret');
    const authorization = request.headers.authorization;
    if (authorization && /^Basic\s+/i.test(authorization)) {
      const decoded = Buffer.from(authorization.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw sts.malformed();
      const basicId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      const basicSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      if (clientId !== undefined && clientId !== basicId) throw sts.malformed();
      clientId = basicId;
      secret = basicSecret;
    }
    if (!clientId) throw sts.missingParameter('client_id');
    if (clientId !== partner.app.clientId) throw sts.unknownClient(clientId, tenantSegment);
    if (!secret) throw sts.missingClientSecret();
    if (!sameSecret(secret, partner.app.clientSecret)) throw sts.invalidClientSecret(clientId);
    return clientId;
  }

  interface DelegatedGrant {
    tenantId: string;
    user: SignedInUser;
    clientId: string;
    scope: string | undefined;
    nonce: string | undefined;
    issuer: string;
    rotating: Parameters<TokenService['issueRefreshToken']>[0]['rotating'];
  }

  function issueDelegated(request: FastifyRequest, reply: FastifyReply, grant: DelegatedGrant) {
    const parsed = parseScopes(grant.scope, options.graphIdentifiers());
    let wids: string[] = [];
    if (grant.tenantId !== grant.user.homeTenantId) {
      // A partner user reaches a customer tenant only through an active GDAP relationship
      // whose access assignment names one of the user's security groups
      // (https://learn.microsoft.com/en-us/partner-center/customers/gdap-introduction).
      const access = world.gdapAccess(grant.tenantId, grant.user.id);
      if (!access.ok) {
        request.log.info({ tenantId: grant.tenantId, reason: access.reason, detail: access.detail }, 'no GDAP access');
        throw sts.userNotInTenant(
          grant.user.userPrincipalName,
          grant.user.homeTenantId,
          grant.tenantId,
          grant.clientId,
          partner.app.displayName,
        );
      }
      wids = access.roleDefinitionIds;
    }
    const consented = consentedScopes(grant.tenantId, grant.clientId);
    const granted = grantedDelegatedScopes(parsed, consented);
    if (granted.length === 0) throw sts.consentRequired(grant.clientId, partner.app.displayName);
    const issued = tokens.issueAccessToken({
      kind: 'delegated',
      issuer: grant.issuer,
      tenantId: grant.tenantId,
      clientId: grant.clientId,
      appDisplayName: partner.app.displayName,
      user: grant.user,
      scopes: granted,
      wids,
    });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: responseScope(parsed, granted),
      expires_in: issued.expiresIn,
      ext_expires_in: issued.expiresIn,
      access_token: issued.accessToken,
    };
    if (parsed.oidc.has('offline_access')) {
      body.refresh_token = tokens.issueRefreshToken({ user: grant.user, clientId: grant.clientId, rotating: grant.rotating });
    }
    if (parsed.oidc.has('openid')) {
      body.id_token = tokens.issueIdToken({
        issuer: grant.issuer,
        tenantId: grant.tenantId,
        clientId: grant.clientId,
        user: grant.user,
        nonce: grant.nonce,
      });
    }
    if (formField(request.body, 'client_info') === '1') body.client_info = clientInfo(grant.user);
    return sendTokenResponse(request, reply, body);
  }

  function sendTokenResponse(request: FastifyRequest, reply: FastifyReply, body: Record<string, unknown>) {
    return reply
      .status(200)
      .headers({ ...STS_HEADERS, 'x-ms-request-id': request.id, 'x-ms-clitelem': '1,0,0,,' })
      .type('application/json; charset=utf-8')
      .send(body);
  }
}

/** base64url {"uid","utid"}: MSAL builds the home account id from it (uid.utid). */
function clientInfo(user: SignedInUser): string {
  return Buffer.from(JSON.stringify({ uid: user.id, utid: user.homeTenantId })).toString('base64url');
}
