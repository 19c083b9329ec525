// Passkeys over the API: registering and removing them from the account, the options a browser
// needs for each ceremony (navigator.credentials.create / get), and the passwordless sign-in
// an administrator may allow. Completing a sign-in's second step with a passkey goes through
// POST /api/session/mfa with { method: "webauthn", assertion } (mfa.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { AppContext } from '../../context.ts';
import { getTechnician, hasSecondFactor, summarizeTechnician } from '../../auth/accounts.ts';
import { LockedOut } from '../../auth/errors.ts';
import { LOCKOUT_MS, recordSuccessfulSignIn } from '../../auth/lockout.ts';
import { readSecuritySettings, secondFactorsOf, signInChallengeOf, SIGN_IN_CHALLENGE_COOKIE } from '../../auth/mfa.ts';
import { PasskeyRefused, SignInChallengeExpired } from '../../auth/mfa-errors.ts';
import {
  auditPasskeyRefusal,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  PASSKEY_NAME_MAX,
  registerPasskey,
  relyingPartyFor,
  removePasskey,
  verifyPasskeyAssertion,
} from '../../auth/passkeys.ts';
import { markSecondFactor, restrictSessionToEnrolment, SESSION_COOKIE } from '../../auth/sessions.ts';
import { requireFreshSecondFactor } from '../../auth/step-up.ts';
import { passwordSignInAllowed, PasswordSignInDisabled } from '../../auth/sso.ts';
import { Forbidden } from '../../errors.ts';
import { requirePrincipal } from '../guards.ts';
import { IdParams } from '../schemas.ts';
import { SIGN_IN_RATE_LIMIT, startSession, TechnicianSchema } from './sign-in.ts';
import { AssertionSchema, PasskeySchema } from './mfa.ts';

/** WebAuthn options as JSON (PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON): passed to the browser as they are. */
const OptionsJSON = Type.Object({ challenge: Type.String() }, { additionalProperties: true });
const AttestationSchema = Type.Object(
  {
    id: Type.String({ maxLength: 1400 }),
    rawId: Type.String({ maxLength: 1400 }),
    type: Type.Literal('public-key'),
    response: Type.Object(
      { clientDataJSON: Type.String({ maxLength: 4096 }), attestationObject: Type.String({ maxLength: 65536 }) },
      { additionalProperties: true },
    ),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

export const passkeyApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock, relyingParty: relyingPartyFor(ctx.config) };
  const actorOf = (principal: { technicianId: string; username: string }) => ({ id: principal.technicianId, label: principal.username });

  app.post(
    '/api/me/mfa/webauthn/registration-options',
    {
      config: { access: 'signedIn', duringEnrolment: true },
      schema: {
        tags: ['accounts'],
        summary: 'Options for navigator.credentials.create() to register a passkey (the challenge works once, five minutes)',
        response: { 200: OptionsJSON },
      },
    },
    async (request) => passkeyRegistrationOptions(deps, requirePrincipal(request).technicianId),
  );

  app.post(
    '/api/me/mfa/webauthn',
    {
      config: { access: 'signedIn', duringEnrolment: true },
      schema: {
        tags: ['accounts'],
        summary: 'Register a passkey under a name (needs a fresh second factor when the account already has one)',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: PASSKEY_NAME_MAX }), attestation: AttestationSchema }),
        response: { 201: PasskeySchema },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const technician = await secondFactorsOf(deps.db, principal.technicianId);
      // Adding a factor to an account that has one is as sensitive as removing one: a stolen
      // session must not slip its own key in.
      if (hasSecondFactor(technician)) await requireFreshSecondFactor(deps, principal);
      const passkey = await registerPasskey(
        deps,
        principal.technicianId,
        request.body.name,
        request.body.attestation as unknown as RegistrationResponseJSON,
        actorOf(principal),
        request.id,
      );
      const token = request.cookies[SESSION_COOKIE];
      // The first factor of an account that had to enrol: the session may do the rest now.
      if (!hasSecondFactor(technician) && principal.via === 'session' && token) await markSecondFactor(deps, token);
      return reply.status(201).send(passkey);
    },
  );

  app.delete(
    '/api/me/mfa/webauthn/:id',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['accounts'],
        summary: 'Remove one of your passkeys (needs a fresh second factor)',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      await requireFreshSecondFactor(deps, principal);
      await removePasskey(deps, principal.technicianId, request.params.id, actorOf(principal), request.id);
      const left = await secondFactorsOf(deps.db, principal.technicianId);
      const token = request.cookies[SESSION_COOKIE];
      if (!hasSecondFactor(left) && (await readSecuritySettings(deps.db)).mfaRequired && principal.via === 'session' && token)
        await restrictSessionToEnrolment(deps, token);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/me/mfa/webauthn/authentication-options',
    {
      config: { access: 'signedIn', rateLimit: SIGN_IN_RATE_LIMIT },
      schema: {
        tags: ['accounts'],
        summary: 'Options for navigator.credentials.get() to confirm a second factor now (step-up: then POST /api/me/mfa/verify)',
        response: { 200: OptionsJSON },
      },
    },
    async (request) => passkeyAuthenticationOptions(deps, requirePrincipal(request).technicianId),
  );

  app.post(
    '/api/session/mfa/webauthn-options',
    {
      config: { access: 'public', rateLimit: SIGN_IN_RATE_LIMIT },
      schema: {
        tags: ['accounts'],
        summary: "Options for navigator.credentials.get() in a sign-in's second step (after POST /api/session answered mfaRequired)",
        response: { 200: OptionsJSON },
      },
    },
    async (request) => {
      const token = request.cookies[SIGN_IN_CHALLENGE_COOKIE];
      if (!token || token.length > 200) throw new SignInChallengeExpired();
      const challenge = await signInChallengeOf(deps.db, token);
      if (!challenge || new Date(challenge.expires_at).getTime() <= ctx.clock.now().getTime()) throw new SignInChallengeExpired();
      return passkeyAuthenticationOptions(deps, challenge.technician_id);
    },
  );

  app.post(
    '/api/session/passkey/options',
    {
      config: { access: 'public', rateLimit: SIGN_IN_RATE_LIMIT },
      schema: {
        tags: ['accounts'],
        summary: 'Options for a passwordless sign-in with a discoverable passkey (where an administrator allows it)',
        response: { 200: OptionsJSON },
      },
    },
    async () => {
      if (!(await readSecuritySettings(deps.db)).passwordlessPasskeys)
        throw new Forbidden('Signing in with a passkey alone is not allowed here.', 'Sign in with your password, then your passkey.');
      return passkeyAuthenticationOptions(deps, null);
    },
  );

  app.post(
    '/api/session/passkey',
    {
      config: { access: 'public', rateLimit: SIGN_IN_RATE_LIMIT },
      schema: {
        tags: ['accounts'],
        summary: 'Sign in with a discoverable passkey alone (sets the session cookie; counts as a fresh second factor)',
        body: Type.Object({ assertion: AssertionSchema }),
        response: { 200: Type.Object({ technician: TechnicianSchema, csrfToken: Type.String() }) },
      },
    },
    async (request, reply) => {
      if (!(await readSecuritySettings(deps.db)).passwordlessPasskeys)
        throw new Forbidden('Signing in with a passkey alone is not allowed here.', 'Sign in with your password, then your passkey.');
      let technicianId: string;
      try {
        technicianId = await verifyPasskeyAssertion(deps, request.body.assertion, null);
      } catch (error) {
        if (error instanceof PasskeyRefused)
          await auditPasskeyRefusal(deps.db, ctx.clock, 'technician.passkey_sign_in_refused', null, error.reason, request.id);
        throw error;
      }
      const technician = await getTechnician(deps.db, technicianId);
      if (technician.disabled) throw new PasskeyRefused('not_allowed', 'This account is disabled.');
      // In "SSO only" mode a passkey alone is a local sign-in like a password: the break-glass administrator's only.
      if (!passwordSignInAllowed(ctx.config, technician.username)) throw new PasswordSignInDisabled();
      const now = ctx.clock.now();
      if (!(await recordSuccessfulSignIn(deps.db, technician.id, now))) throw new LockedOut(LOCKOUT_MS / 1000);
      reply.clearCookie(SIGN_IN_CHALLENGE_COOKIE, { path: '/' });
      const csrfToken = await startSession(ctx, reply, technician.id, request.cookies[SESSION_COOKIE], { secondFactorAt: now });
      return { technician: summarizeTechnician(technician), csrfToken };
    },
  );
};
