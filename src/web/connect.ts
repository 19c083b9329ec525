// "Connect": the authorization-code flow with PKCE (S256) and state, through @fastify/oauth2,
// against {authorityHost}/{partnerTenant}/oauth2/v2.0/authorize. The callback redeems the code
// with MSAL (acquireTokenByCode), stores the partner refresh token sealed and starts discovery.
//
//   GET /integrations/:id/connect   (administrator) → 302 to Microsoft's sign-in
//   GET /auth/microsoft/callback    (administrator) → redeem, store, discover
//
// @fastify/oauth2 holds one client configuration, while every integration has its own partner
// tenant and app: the plugin generates state, PKCE verifier/challenge and their cookies, and
// we put the integration's tenant and client id into the URL it builds. The state carries the
// integration id; it is only trusted after it matched the httpOnly state cookie.
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import oauthPlugin, { type OAuth2Namespace } from '@fastify/oauth2';
import type { AppContext } from '../context.ts';
import { oauthRedirectBase, publicBaseUrl } from '../config.ts';
import { installGuards } from './guards.ts';
import { sendMessagePage } from './errors.ts';
import type { Microsoft } from '../microsoft/index.ts';
import { MicrosoftError, tokenFailureFrom, tokenFailureToError } from '../microsoft/errors.ts';
import { msalAuthorityFor } from '../microsoft/network-client.ts';
import { connectScopes } from '../microsoft/scopes.ts';
import type { DiscoveryReport } from '../microsoft/discovery.ts';
import { GUID } from '../ids.ts';

export const CALLBACK_PATH = '/auth/microsoft/callback';
const STATE_COOKIE = 'docsync_ms_state';
const VERIFIER_COOKIE = 'docsync_ms_verifier';

declare module 'fastify' {
  interface FastifyInstance {
    microsoftOAuth2: OAuth2Namespace;
  }
}

export interface ConnectRoutesOptions {
  ctx: AppContext;
  /** The process's Microsoft side (token caches); ctx.microsoft unless a test brings its own. */
  microsoft?: Microsoft;
  /** Called with the discovery the callback starts (tests await it; the UI polls the tenants). */
  onDiscovery?: (integrationId: string, discovery: Promise<DiscoveryReport>) => void;
}

export async function microsoftConnectRoutes(app: FastifyInstance, options: ConnectRoutesOptions): Promise<void> {
  const { ctx } = options;
  const microsoft = options.microsoft ?? ctx.microsoft;
  const { authorityHost, graphBaseUrl } = ctx.config.microsoft;
  const scopes = connectScopes(graphBaseUrl);
  const secureCookies = publicBaseUrl(ctx.config).startsWith('https:');
  // Fails at start-up (not at the first connect) when publicBaseUrl is missing outside loopback.
  oauthRedirectBase(ctx.config);
  const callbackUri = (request: FastifyRequest) => `${oauthRedirectBase(ctx.config, request.socket.localPort)}${CALLBACK_PATH}`;

  installGuards(app, ctx);

  await app.register(oauthPlugin, {
    name: 'microsoftOAuth2',
    scope: scopes,
    // Placeholders: the tenant path and client_id are set per integration below; the plugin's
    // own token redemption is never used (MSAL redeems the code).
    credentials: {
      client: { id: 'set-per-integration', secret: 'unused' },
      auth: {
        authorizeHost: authorityHost,
        authorizePath: '/organizations/oauth2/v2.0/authorize',
        tokenHost: authorityHost,
        tokenPath: '/organizations/oauth2/v2.0/token',
      },
    },
    callbackUri,
    pkce: 'S256',
    redirectStateCookieName: STATE_COOKIE,
    verifierCookieName: VERIFIER_COOKIE,
    // The callback is a top-level GET from Microsoft: SameSite=Lax cookies travel with it.
    cookie: { path: '/', sameSite: 'lax', secure: secureCookies },
    generateStateFunction: (request: FastifyRequest) => `${(request.params as { id: string }).id}.${randomBytes(24).toString('base64url')}`,
    checkStateFunction: (request: FastifyRequest) => stateMatches(request),
  });

  app.get<{ Params: { id: string } }>(
    '/integrations/:id/connect',
    { config: { access: 'administrator', page: true } },
    async (request, reply) => {
      if (!GUID.test(request.params.id)) return page(reply, 404, 'Integration not found', 'There is no integration with this id.');
      const integration = await microsoft.integrations.get(request.params.id).catch(() => null);
      if (!integration) return page(reply, 404, 'Integration not found', 'There is no integration with this id.');
      if (integration.kind === 'direct_app') {
        return page(
          reply,
          400,
          'Nothing to connect',
          'App-only integrations sign in with their client secret; there is no Microsoft sign-in to run.',
        );
      }
      const generated = await app.microsoftOAuth2.generateAuthorizationUri(request, reply);
      const url = new URL(generated);
      const base = new URL(authorityHost).pathname.replace(/\/$/, '');
      url.pathname = `${base}/${encodeURIComponent(integration.tenantId)}/oauth2/v2.0/authorize`;
      url.searchParams.set('client_id', integration.clientId);
      url.searchParams.set('response_mode', 'query');
      return reply.redirect(url.toString(), 302);
    },
  );

  app.get(CALLBACK_PATH, { config: { access: 'administrator', page: true } }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const stateOk = stateMatches(request);
    const verifier = request.cookies[VERIFIER_COOKIE];
    clearFlowCookies(reply);
    if (!stateOk) {
      return page(
        reply,
        400,
        'Sign-in could not be verified',
        'The answer from Microsoft does not belong to a sign-in this browser started (state mismatch or expired). Nothing was changed. ' +
          'Start "Connect" again from the integration.',
      );
    }
    const integrationId = query.state!.split('.')[0]!;
    const integration = await microsoft.integrations.get(integrationId);

    if (query.error) {
      const why = describeAuthorizeError(query.error, query.error_description);
      await microsoft.integrations.recordConnectFailure(integrationId, why);
      ctx.log.warn({ integrationId, error: query.error }, 'connect: Microsoft sign-in did not complete');
      return page(reply, 400, 'Microsoft did not connect docsync', `${why}. Nothing stored was changed.`);
    }
    if (!query.code)
      return page(reply, 400, 'Sign-in could not be verified', 'Microsoft sent no authorization code. Start "Connect" again.');
    if (!verifier) {
      return page(
        reply,
        400,
        'Sign-in could not be verified',
        'The PKCE verifier of this sign-in is missing (cookie expired or blocked). Nothing was changed. Start "Connect" again.',
      );
    }

    const credentials = await microsoft.integrations.credentials(integrationId);
    if (!credentials.clientSecret)
      return page(reply, 400, 'No client secret', "Paste the client secret's Value into the integration first.");
    const cca = microsoft.tokens.clientFor({ integration, clientSecret: credentials.clientSecret });
    const correlationId = randomUUID();
    let signedInTenant: string | undefined;
    try {
      const result = await cca.acquireTokenByCode({
        code: query.code,
        codeVerifier: verifier,
        redirectUri: callbackUri(request),
        scopes,
        authority: msalAuthorityFor(authorityHost, integration.tenantId),
        correlationId,
      });
      signedInTenant = result.tenantId || (result.idTokenClaims as { tid?: string } | undefined)?.tid;
    } catch (error) {
      const failure = tokenFailureFrom(error);
      const translated = failure
        ? describeRedemptionFailure(
            failure,
            tokenFailureToError(failure, {
              tenantId: integration.tenantId,
              partnerTenantId: integration.tenantId,
              clientId: integration.clientId,
              authorityHost,
            }),
          )
        : `Microsoft could not be reached to finish the sign-in: check that ${authorityHost} is reachable`;
      await microsoft.integrations.recordConnectFailure(integrationId, translated);
      ctx.log.warn({ integrationId, aadsts: failure?.errorCodes?.[0], error: failure?.error }, 'connect: code redemption failed');
      return page(reply, 400, 'Microsoft did not connect docsync', `${translated}. Nothing stored was changed.`);
    }
    const captured = microsoft.tokens.takeCaptured(correlationId);
    if (!captured?.refreshToken) {
      await microsoft.integrations.recordConnectFailure(
        integrationId,
        'Microsoft returned no refresh token (offline_access was not granted)',
      );
      return page(
        reply,
        400,
        'Microsoft did not connect docsync',
        'Microsoft returned no refresh token: offline_access was not granted. Nothing stored was changed.',
      );
    }
    if (signedInTenant && signedInTenant.toLowerCase() !== integration.tenantId.toLowerCase() && GUID.test(integration.tenantId)) {
      await microsoft.integrations.recordConnectFailure(
        integrationId,
        `the account that signed in belongs to tenant ${signedInTenant}, not the partner tenant ${integration.tenantId}`,
      );
      return page(
        reply,
        400,
        'Wrong account',
        `The account that signed in belongs to tenant ${signedInTenant}, not ${integration.tenantId}. Sign in with the GDAP service ` +
          `account of the partner tenant.`,
      );
    }

    await microsoft.integrations.storeRefreshToken(integrationId, captured.refreshToken);
    microsoft.tokens.forget(integrationId);
    ctx.log.info({ integrationId }, 'connect: partner connected; discovery started');
    const discovery = microsoft.discovery.discover(integrationId);
    discovery.catch((error: unknown) => {
      const fields = error instanceof MicrosoftError ? error.toLogFields() : { error: (error as Error).message };
      ctx.log.warn({ integrationId, ...fields }, 'discovery after connect failed');
    });
    options.onDiscovery?.(integrationId, discovery);
    return page(
      reply,
      200,
      'Connected',
      `docsync is connected to ${integration.name}. Discovery of the customer tenants has started; they appear under the integration in ` +
        `a moment.`,
      `/integrations/${integrationId}`,
    );
  });

  function stateMatches(request: FastifyRequest): boolean {
    const state = (request.query as Record<string, unknown>).state;
    const cookie = request.cookies[STATE_COOKIE];
    if (typeof state !== 'string' || typeof cookie !== 'string' || state.length !== cookie.length) return false;
    return GUID.test(state.split('.')[0] ?? '') && timingSafeEqualText(state, cookie);
  }

  function clearFlowCookies(reply: FastifyReply) {
    for (const name of [STATE_COOKIE, VERIFIER_COOKIE])
      reply.clearCookie(name, { path: '/', sameSite: 'lax', secure: secureCookies, httpOnly: true });
  }
}

function timingSafeEqualText(a: string, b: string): boolean {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** access_denied / consent_required etc. in words, without Microsoft's trace lines. */
function describeAuthorizeError(error: string, description: string | undefined): string {
  const firstLine = (description ?? '').split(/\r?\n/)[0]!.slice(0, 300);
  const code = /AADSTS(\d+)/.exec(firstLine)?.[1];
  if (error === 'access_denied' || code === '65004') return `consent was denied at Microsoft's sign-in (${firstLine || error})`;
  if (error === 'consent_required' || code === '65001')
    return "an administrator must consent to docsync's permissions in the partner tenant";
  return `Microsoft answered ${error}${firstLine ? `: ${firstLine}` : ''}`;
}

function describeRedemptionFailure(
  failure: { error?: string | undefined; description?: string | undefined },
  mapped: MicrosoftError,
): string {
  if (/AADSTS501481|code_verifier|code verifier/i.test(failure.description ?? ''))
    return 'the sign-in could not be verified (PKCE code verifier mismatch); start "Connect" again';
  if (/AADSTS54005|AADSTS70008|AADSTS70000/.test(failure.description ?? ''))
    return 'the authorization code was already used or expired; start "Connect" again';
  return `${mapped.message}: ${mapped.action}`;
}

/** The shared message page (web/errors.ts), never cached: it reports one sign-in's outcome. */
function page(reply: FastifyReply, status: number, title: string, message: string, link?: string) {
  reply.header('cache-control', 'no-store');
  return sendMessagePage(reply, status, {
    title,
    message,
    requestId: reply.request.id,
    ...(link ? { link: { href: link, text: 'Back to the integration' } } : {}),
  });
}
