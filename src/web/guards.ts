// Who is asking, and may they: resolves the principal from a session cookie or a personal
// API token, enforces each route's declared access (a route without one fails at start-up),
// and checks the CSRF token on cookie-authenticated writes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import type { AppContext } from '../context.ts';
import { resolveApiToken } from '../auth/api-tokens.ts';
import { CsrfRejected } from '../auth/errors.ts';
import { MfaEnrolmentRequired } from '../auth/mfa-errors.ts';
import { roleAllows, type Access, type Principal } from '../auth/roles.ts';
import { constantTimeEquals } from '../auth/secrets.ts';
import { resolveSession, SESSION_COOKIE } from '../auth/sessions.ts';
import { Forbidden, Unauthenticated } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    access?: Access;
    /** An HTML page: unauthenticated visitors are sent to the sign-in page, errors render as HTML. */
    page?: boolean;
    /** Reachable by a session that may only enrol a second factor (an administrator requires MFA). */
    duringEnrolment?: boolean;
    /** Spends the shared sign-in budget (src/auth/sign-in-throttle.ts): may answer 429. */
    signInBudget?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new Unauthenticated('Sign in first.');
  return request.principal;
}

export function installGuards(app: FastifyInstance, ctx: Pick<AppContext, 'database' | 'clock'>): void {
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    if (!route.config?.access) throw new Error(`route ${route.method} ${route.url} declares no access (config.access)`);
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config.access ?? 'administrator';
    request.principal = await identify(request, ctx);
    if (access === 'public') return;
    if (!request.principal) {
      if (request.routeOptions.config.page && request.method === 'GET') {
        const next = request.url.startsWith('/') && !request.url.startsWith('//') ? request.url : '/';
        return reply.redirect(`/sign-in?next=${encodeURIComponent(next)}`, 303);
      }
      throw new Unauthenticated('Sign in first, or send a personal API token as "Authorization: Bearer dsk_…".');
    }
    if (request.principal.enrolmentOnly && !request.routeOptions.config.duringEnrolment) {
      if (request.routeOptions.config.page && request.method === 'GET') return reply.redirect('/account/mfa', 303);
      throw new MfaEnrolmentRequired();
    }
    if (!roleAllows(request.principal.role, access)) {
      throw new Forbidden(
        `This needs the ${access} role; your account is ${request.principal.role.replace('_', '-')}.`,
        'Ask an administrator for the role.',
      );
    }
  });

  // After body parsing, so an HTML form's _csrf field can be read.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      let host: string | null;
      try {
        host = new URL(origin).host;
      } catch {
        host = null;
      }
      if (host !== request.host) throw new CsrfRejected();
    }
    const principal = request.principal;
    if (!principal || principal.via !== 'session') return;
    const header = request.headers[CSRF_HEADER];
    const body = request.body as Record<string, unknown> | undefined;
    const given = typeof header === 'string' ? header : typeof body?._csrf === 'string' ? body._csrf : null;
    if (!given || !principal.csrfToken || !constantTimeEquals(given, principal.csrfToken)) throw new CsrfRejected();
  });
}

async function identify(request: FastifyRequest, ctx: Pick<AppContext, 'database' | 'clock'>): Promise<Principal | null> {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && authorization.length > 0) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const principal = match ? await resolveApiToken(ctx.database.db, ctx.clock, match[1]!) : null;
    if (!principal) throw new Unauthenticated('The API token is unknown or revoked.', 'Create a new token on your account page.');
    return principal;
  }
  const cookie = request.cookies?.[SESSION_COOKIE];
  if (typeof cookie === 'string' && cookie.length > 0 && cookie.length < 200) {
    return resolveSession({ db: ctx.database.db, clock: ctx.clock }, cookie);
  }
  return null;
}
