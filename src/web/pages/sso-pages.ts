// "Sign in with Microsoft": /auth/sso/start sends the browser to the tenant's authorize
// endpoint (state in a cookie of this browser, nonce and PKCE verifier kept server-side), and
// /auth/sso/callback completes the sign-in from Microsoft's redirect. Failures come back to the
// sign-in page with the reason; they are audited in src/auth/sso.ts.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { beginSsoSignIn, completeSsoSignIn, SSO_SIGN_IN_LIFETIME_MS, SSO_STATE_COOKIE } from '../../auth/sso.ts';
import { SESSION_COOKIE } from '../../auth/sessions.ts';
import { DocsyncError } from '../../errors.ts';
import { sessionCookieOptions, SIGN_IN_RATE_LIMIT, startSession } from '../api/sign-in.ts';
import { safeNext, sendPage, signInPage } from './account-pages.ts';

const Param = Type.Optional(Type.String({ maxLength: 4000 }));

export const ssoRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock, secrets: ctx.secrets, config: ctx.config };

  app.get(
    '/auth/sso/start',
    {
      config: { access: 'public', page: true, rateLimit: SIGN_IN_RATE_LIMIT },
      schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) }) },
    },
    async (request, reply) => {
      const next = safeNext(request.query.next);
      try {
        const { url, state } = await beginSsoSignIn(deps, next, `${request.protocol}://${request.host}`);
        reply.setCookie(SSO_STATE_COOKIE, state, { ...sessionCookieOptions(ctx), maxAge: SSO_SIGN_IN_LIFETIME_MS / 1000 });
        return reply.redirect(url, 302);
      } catch (error) {
        if (error instanceof DocsyncError && error.status < 600)
          return sendPage(reply, error.status >= 500 ? 502 : error.status, signInPage(ctx.config, next, error.message));
        throw error;
      }
    },
  );

  app.get(
    '/auth/sso/callback',
    {
      config: { access: 'public', page: true, rateLimit: SIGN_IN_RATE_LIMIT },
      schema: {
        querystring: Type.Object({
          code: Param,
          state: Param,
          error: Param,
          error_description: Param,
          error_uri: Param,
          session_state: Param,
          client_info: Param,
        }),
      },
    },
    async (request, reply) => {
      const cookieState = request.cookies[SSO_STATE_COOKIE];
      reply.clearCookie(SSO_STATE_COOKIE, { path: '/' });
      try {
        const { technician, identity, next } = await completeSsoSignIn(deps, {
          state: request.query.state,
          cookieState,
          code: request.query.code,
          error: request.query.error,
          errorDescription: request.query.error_description,
          requestId: request.id,
        });
        // Microsoft's MFA is the second factor: not asked again; a session whose amr says "mfa" counts as freshly verified.
        await startSession(ctx, reply, technician.id, request.cookies[SESSION_COOKIE], {
          secondFactorAt: identity.amr.includes('mfa') ? ctx.clock.now() : null,
        });
        return reply.redirect(safeNext(next), 303);
      } catch (error) {
        if (error instanceof DocsyncError && error.status < 600)
          return sendPage(reply, error.status >= 500 ? 502 : error.status, signInPage(ctx.config, '/organizations', error.message));
        throw error;
      }
    },
  );
};
