// Starting a technician's session, shared by every way of signing in (password, second factor,
// passkey, single sign-on): the sign-in budgets, the session cookie and the technician schema the
// sign-in answers carry. Kept apart from the routes so the sign-in routes do not import each other.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidCredentials } from '../../auth/errors.ts';
import { SignInThrottle } from '../../auth/sign-in-throttle.ts';
import { ROLES } from '../../auth/roles.ts';
import type { AppContext } from '../../context.ts';
import { ABSOLUTE_LIFETIME_MS, createSession, destroySession, pruneSessions, SESSION_COOKIE } from '../../auth/sessions.ts';
import type { NewSessionOptions } from '../../auth/sessions.ts';
import { publicBaseUrl } from '../../config.ts';
import { Nullable, Timestamp } from '../schemas.ts';

export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const TechnicianSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: Nullable(Type.String()),
  displayName: Nullable(Type.String()),
  role: Role,
  disabled: Type.Boolean(),
  lockedUntil: Nullable(Timestamp),
  lastLoginAt: Nullable(Timestamp),
  createdAt: Timestamp,
  mfaEnrolled: Type.Boolean({ description: 'An authenticator app is set up' }),
});

/** Per-route attempts per client address per minute for the second-factor and single sign-on routes, on top of the lockout. */
export const SIGN_IN_RATE_LIMIT = { max: 20, timeWindow: 60_000 };

const throttles = new WeakMap<object, SignInThrottle>();

/** The app's one sign-in budget (per address, per username), shared by every sign-in and setup route. */
export function signInThrottle(ctx: Pick<AppContext, 'clock'>): SignInThrottle {
  let throttle = throttles.get(ctx);
  if (!throttle) throttles.set(ctx, (throttle = new SignInThrottle(ctx.clock)));
  return throttle;
}

/** Runs a password check within the budgets; a wrong answer also spends the username's budget. */
export async function withinSignInBudget<T>(
  ctx: Pick<AppContext, 'clock'>,
  request: FastifyRequest,
  username: string | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  const throttle = signInThrottle(ctx);
  throttle.admit(request.ip, username);
  try {
    return await attempt();
  } catch (error) {
    if (username !== undefined && error instanceof InvalidCredentials) throttle.recordFailure(username);
    throw error;
  }
}

export function sessionCookieOptions(ctx: Pick<AppContext, 'config'>) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: publicBaseUrl(ctx.config).startsWith('https:'),
    path: '/',
    maxAge: ABSOLUTE_LIFETIME_MS / 1000,
  };
}

export async function startSession(
  ctx: Pick<AppContext, 'database' | 'clock' | 'config'>,
  reply: FastifyReply,
  technicianId: string,
  previousToken: string | undefined,
  options: NewSessionOptions = {},
): Promise<string> {
  // A fresh token at every sign-in: a session id planted before sign-in is worth nothing after.
  if (previousToken) await destroySession({ db: ctx.database.db }, previousToken);
  // Sessions nobody comes back to are swept here, at sign-in, rather than by a timer.
  await pruneSessions({ db: ctx.database.db, clock: ctx.clock });
  const { token, csrfToken } = await createSession({ db: ctx.database.db, clock: ctx.clock }, technicianId, options);
  reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(ctx));
  return csrfToken;
}
