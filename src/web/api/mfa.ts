// Multi-factor sign-in over the API: the second step of a sign-in, enrolling an authenticator
// app, recovery codes, step-up, an administrator's reset, and the security settings.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { Technician } from '../../db/schema.ts';
import { hasSecondFactor, summarizeTechnician } from '../../auth/accounts.ts';
import {
  beginTotpEnrolment,
  completeSignInChallenge,
  confirmTotpEnrolment,
  createSignInChallenge,
  readSecuritySettings,
  regenerateRecoveryCodes,
  removeSecondFactors,
  secondFactorMethods,
  SIGN_IN_CHALLENGE_COOKIE,
  SIGN_IN_CHALLENGE_LIFETIME_MS,
  unusedRecoveryCodeCount,
  updateSecuritySettings,
  verifySecondFactor,
  type SecondFactorMethod,
  type SecondFactorProof,
  secondFactorsOf,
} from '../../auth/mfa.ts';
import { listPasskeys, relyingPartyFor } from '../../auth/passkeys.ts';
import { markSecondFactor, restrictSessionToEnrolment, SESSION_COOKIE } from '../../auth/sessions.ts';
import { requireFreshSecondFactor } from '../../auth/step-up.ts';
import { BadInput } from '../../errors.ts';
import { passwordSignInAllowed, PasswordSignInDisabled } from '../../auth/sso.ts';
import { requirePrincipal } from '../guards.ts';
import { IdParams, Nullable, Timestamp } from '../schemas.ts';
import { sessionCookieOptions, SIGN_IN_RATE_LIMIT, startSession, TechnicianSchema } from './sign-in.ts';

export const PasskeySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  discoverable: Type.Boolean({ description: 'Usable to sign in without a password, where allowed' }),
  createdAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
});

export const SecondFactorRequired = Type.Object({
  mfaRequired: Type.Literal(true),
  methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('webauthn'), Type.Literal('recovery')])),
});
const Method = Type.Union([Type.Literal('totp'), Type.Literal('recovery')]);
/** A passkey's answer as the browser's PublicKeyCredential.toJSON() (or @simplewebauthn/browser) gives it. */
export const AssertionSchema = Type.Object(
  {
    id: Type.String({ maxLength: 1400 }),
    rawId: Type.String({ maxLength: 1400 }),
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: Type.String({ maxLength: 4096 }),
        authenticatorData: Type.String({ maxLength: 4096 }),
        signature: Type.String({ maxLength: 2048 }),
        userHandle: Type.Optional(Type.String({ maxLength: 1024 })),
      },
      { additionalProperties: true },
    ),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
    authenticatorAttachment: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])),
  },
  { additionalProperties: true },
);
const CodeInput = Type.Union([
  Type.Object({ method: Method, code: Type.String({ minLength: 1, maxLength: 64 }) }),
  Type.Object({ method: Type.Literal('webauthn'), assertion: AssertionSchema }),
]);
const RecoveryCodes = Type.Object({ recoveryCodes: Type.Array(Type.String(), { description: 'Shown once; each works once.' }) });
const SecuritySettingsSchema = Type.Object({
  mfaRequired: Type.Boolean({ description: 'Every technician must use a second factor' }),
  passwordlessPasskeys: Type.Boolean({ description: 'Technicians may sign in with a discoverable passkey alone' }),
  stepUpMinutes: Type.Integer({
    minimum: 1,
    maximum: 720,
    description: 'How long a confirmed second factor counts as fresh for sensitive changes',
  }),
});

export type AfterPassword =
  { kind: 'second_factor'; methods: SecondFactorMethod[] } | { kind: 'session'; csrfToken: string; enrolmentOnly: boolean };

/**
 * What follows a right password: the second factor when the account has one (a short-lived
 * challenge cookie, no session yet), otherwise a session, which may only enrol when an
 * administrator requires MFA.
 */
export async function continueAfterPassword(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  technician: Technician,
): Promise<AfterPassword> {
  const deps = { db: ctx.database.db, clock: ctx.clock };
  if (!passwordSignInAllowed(ctx.config, technician.username)) throw new PasswordSignInDisabled();
  if (hasSecondFactor(technician)) {
    const token = await createSignInChallenge(deps, technician.id);
    reply.setCookie(SIGN_IN_CHALLENGE_COOKIE, token, { ...sessionCookieOptions(ctx), maxAge: SIGN_IN_CHALLENGE_LIFETIME_MS / 1000 });
    return { kind: 'second_factor', methods: secondFactorMethods(technician) };
  }
  // In "SSO only" mode the one password account left, the break-glass administrator, must use MFA too.
  const enrolmentOnly = (await readSecuritySettings(deps.db)).mfaRequired || ctx.config.sso.only;
  const csrfToken = await startSession(ctx, reply, technician.id, request.cookies[SESSION_COOKIE], { enrolmentOnly });
  return { kind: 'session', csrfToken, enrolmentOnly };
}

/** POST /api/session's answer after a right password. */
export async function passwordSignIn(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, technician: Technician) {
  const next = await continueAfterPassword(ctx, request, reply, technician);
  if (next.kind === 'second_factor') return { mfaRequired: true as const, methods: next.methods };
  return {
    technician: summarizeTechnician(technician),
    csrfToken: next.csrfToken,
    ...(next.enrolmentOnly ? { mfaEnrolmentRequired: true } : {}),
  };
}

/** Completes a sign-in with its second factor and starts the session (which counts as freshly verified). */
export async function secondFactorSignIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  proof: SecondFactorProof,
): Promise<{ technician: Technician; csrfToken: string }> {
  const technician = await completeSignInChallenge(
    { db: ctx.database.db, clock: ctx.clock, secrets: ctx.secrets, relyingParty: relyingPartyFor(ctx.config) },
    request.cookies[SIGN_IN_CHALLENGE_COOKIE],
    proof,
    request.id,
  );
  reply.clearCookie(SIGN_IN_CHALLENGE_COOKIE, { path: '/' });
  const csrfToken = await startSession(ctx, reply, technician.id, request.cookies[SESSION_COOKIE], { secondFactorAt: ctx.clock.now() });
  return { technician, csrfToken };
}

function actor(request: FastifyRequest) {
  const principal = requirePrincipal(request);
  return { id: principal.technicianId, label: principal.username };
}

export const mfaApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock, secrets: ctx.secrets, relyingParty: relyingPartyFor(ctx.config) };

  app.post(
    '/api/session/mfa',
    {
      config: { access: 'public', rateLimit: SIGN_IN_RATE_LIMIT },
      schema: {
        tags: ['accounts'],
        summary: 'Complete a sign-in with the second factor (after POST /api/session answered mfaRequired)',
        body: CodeInput,
        response: { 200: Type.Object({ technician: TechnicianSchema, csrfToken: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { technician, csrfToken } = await secondFactorSignIn(ctx, request, reply, request.body);
      return { technician: summarizeTechnician(technician), csrfToken };
    },
  );

  app.get(
    '/api/me/mfa',
    {
      config: { access: 'signedIn', duringEnrolment: true },
      schema: {
        tags: ['accounts'],
        summary: "Your second factors and the installation's MFA rules",
        response: {
          200: Type.Object({
            totp: Type.Boolean(),
            passkeys: Type.Array(PasskeySchema),
            recoveryCodesLeft: Type.Integer(),
            mfaRequired: Type.Boolean(),
            stepUpMinutes: Type.Integer(),
            secondFactorAt: Nullable(Timestamp),
          }),
        },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const row = await secondFactorsOf(deps.db, principal.technicianId);
      const settings = await readSecuritySettings(deps.db);
      return {
        totp: row.totp_confirmed_at !== null,
        passkeys: await listPasskeys(deps.db, principal.technicianId),
        recoveryCodesLeft: await unusedRecoveryCodeCount(deps.db, principal.technicianId),
        mfaRequired: settings.mfaRequired,
        stepUpMinutes: settings.stepUpMinutes,
        secondFactorAt: principal.secondFactorAt ? principal.secondFactorAt.toISOString() : null,
      };
    },
  );

  app.post(
    '/api/me/mfa/totp',
    {
      config: { access: 'signedIn', duringEnrolment: true },
      schema: {
        tags: ['accounts'],
        summary: 'Start setting up an authenticator app: the key, its otpauth:// URL and a QR code (SVG)',
        response: { 200: Type.Object({ secret: Type.String(), otpauthUrl: Type.String(), qrSvg: Type.String() }) },
      },
    },
    async (request) => beginTotpEnrolment(deps, requirePrincipal(request).technicianId),
  );

  app.post(
    '/api/me/mfa/totp/confirm',
    {
      config: { access: 'signedIn', duringEnrolment: true },
      schema: {
        tags: ['accounts'],
        summary: 'Confirm the authenticator app with one code; returns 10 recovery codes (shown once)',
        body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: RecoveryCodes },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const recoveryCodes = await confirmTotpEnrolment(deps, principal.technicianId, request.body.code, actor(request), request.id);
      const token = request.cookies[SESSION_COOKIE];
      if (principal.via === 'session' && token) await markSecondFactor(deps, token);
      return { recoveryCodes };
    },
  );

  app.delete(
    '/api/me/mfa/totp',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['accounts'],
        summary: 'Remove your authenticator app and recovery codes (needs a fresh second factor)',
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      await requireFreshSecondFactor(deps, principal);
      await removeSecondFactors(deps, principal.technicianId, actor(request), {
        action: 'technician.mfa_totp_remove',
        endSessions: false,
        requestId: request.id,
      });
      const token = request.cookies[SESSION_COOKIE];
      if ((await readSecuritySettings(deps.db)).mfaRequired && principal.via === 'session' && token)
        await restrictSessionToEnrolment(deps, token);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/me/mfa/recovery-codes',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['accounts'],
        summary: 'New recovery codes (the old ones stop working; needs a fresh second factor)',
        response: { 200: RecoveryCodes },
      },
    },
    async (request) => {
      await requireFreshSecondFactor(deps, requirePrincipal(request));
      return { recoveryCodes: await regenerateRecoveryCodes(deps, requirePrincipal(request).technicianId, actor(request), request.id) };
    },
  );

  app.post(
    '/api/me/mfa/verify',
    {
      config: { access: 'signedIn', rateLimit: SIGN_IN_RATE_LIMIT },
      schema: {
        tags: ['accounts'],
        summary: 'Confirm a second factor now, for changes that need a fresh one (step-up)',
        body: CodeInput,
        response: { 200: Type.Object({ secondFactorAt: Timestamp }) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const token = request.cookies[SESSION_COOKIE];
      if (principal.via !== 'session' || !token)
        throw new BadInput('A second factor is confirmed in a browser session; API tokens cannot step up.');
      await verifySecondFactor(deps, principal.technicianId, request.body, request.id);
      await markSecondFactor(deps, token);
      return { secondFactorAt: ctx.clock.now().toISOString() };
    },
  );

  app.post(
    '/api/technicians/:id/mfa/reset',
    {
      config: { access: 'administrator' },
      schema: {
        tags: ['accounts'],
        summary: "Reset a technician's second factors: they enrol again at next sign-in (their sessions end)",
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await requireFreshSecondFactor(deps, requirePrincipal(request));
      await removeSecondFactors(deps, request.params.id, actor(request), {
        action: 'technician.mfa_reset',
        endSessions: true,
        requestId: request.id,
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/settings/security',
    {
      config: { access: 'administrator' },
      schema: { tags: ['accounts'], summary: 'Sign-in rules: MFA required, step-up window', response: { 200: SecuritySettingsSchema } },
    },
    async () => readSecuritySettings(deps.db),
  );

  app.patch(
    '/api/settings/security',
    {
      config: { access: 'administrator' },
      schema: {
        tags: ['accounts'],
        summary: 'Change the sign-in rules (needs a fresh second factor)',
        body: Type.Partial(SecuritySettingsSchema, { minProperties: 1 }),
        response: { 200: SecuritySettingsSchema },
      },
    },
    async (request) => {
      await requireFreshSecondFactor(deps, requirePrincipal(request));
      return updateSecuritySettings(deps, request.body, actor(request), request.id);
    },
  );
};
