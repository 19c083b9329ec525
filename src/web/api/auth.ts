// Accounts over the API: sign in / out, who am I, personal API tokens, first-run setup,
// technician administration and the audit log.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { authenticate, completeSetup, createTechnician, listTechnicians, updateTechnician } from '../../auth/accounts.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/api-tokens.ts';
import { destroySession, SESSION_COOKIE } from '../../auth/sessions.ts';
import { requireFreshSecondFactor, requireMfaVerifiedSessionForApiToken } from '../../auth/step-up.ts';
import { passwordSignIn, SecondFactorRequired } from './mfa.ts';
import { Role, startSession, TechnicianSchema, withinSignInBudget } from './sign-in.ts';
import { assertPasswordSignInAllowed } from '../../auth/sso.ts';
import { listAuditEntries, recordAudit } from '../../stores/audit.ts';
import { MAX_PASSWORD_LENGTH } from '../../auth/passwords.ts';
import { Forbidden } from '../../errors.ts';
import { requirePrincipal } from '../guards.ts';
import { IdParams, Nullable, PageQuery, Paged, Timestamp } from '../schemas.ts';

const ApiTokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  createdAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
  revokedAt: Nullable(Timestamp),
});
const Credentials = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
});
const Me = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Nullable(Type.String()),
  role: Role,
  via: Type.String(),
  csrfToken: Nullable(Type.String()),
});

export const authApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock };

  app.post(
    '/api/session',
    {
      config: { access: 'public', signInBudget: true },
      schema: {
        tags: ['accounts'],
        summary: 'Sign in (sets the session cookie), or answers mfaRequired: then POST /api/session/mfa',
        body: Credentials,
        response: {
          200: Type.Union([
            Type.Object({ technician: TechnicianSchema, csrfToken: Type.String(), mfaEnrolmentRequired: Type.Optional(Type.Boolean()) }),
            SecondFactorRequired,
          ]),
        },
      },
    },
    async (request, reply) => {
      assertPasswordSignInAllowed(ctx.config, request.body.username);
      const technician = await withinSignInBudget(ctx, request, request.body.username, () =>
        authenticate(deps, request.body.username, request.body.password),
      );
      return passwordSignIn(ctx, request, reply, technician);
    },
  );

  app.delete(
    '/api/session',
    {
      config: { access: 'signedIn', duringEnrolment: true },
      schema: { tags: ['accounts'], summary: 'Sign out', response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await destroySession(deps, token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/me',
    {
      config: { access: 'signedIn', duringEnrolment: true },
      schema: { tags: ['accounts'], summary: 'The signed-in technician', response: { 200: Me } },
    },
    async (request) => {
      const p = requirePrincipal(request);
      return { id: p.technicianId, username: p.username, displayName: p.displayName, role: p.role, via: p.via, csrfToken: p.csrfToken };
    },
  );

  app.get(
    '/api/me/tokens',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['accounts'],
        summary: 'Your personal API tokens',
        response: { 200: Type.Object({ items: Type.Array(ApiTokenSchema) }) },
      },
    },
    async (request) => ({
      items: await listApiTokens(deps.db, requirePrincipal(request).technicianId),
    }),
  );

  app.post(
    '/api/me/tokens',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['accounts'],
        summary: 'Create a personal API token (shown once)',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: {
          201: Type.Object({
            token: Type.String({ description: 'Send as "Authorization: Bearer <token>". Not shown again.' }),
            apiToken: ApiTokenSchema,
          }),
        },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      await requireMfaVerifiedSessionForApiToken(deps, principal);
      // A token minting tokens would outlive its own revocation: only a signed-in person may.
      if (principal.via !== 'session')
        throw new Forbidden(
          'API tokens are created by a signed-in person, not by another token.',
          'Sign in to docsync and create the token on your Account page.',
        );
      const { token, summary } = await createApiToken(deps.db, ctx.clock, principal.technicianId, request.body.name);
      await recordTokenAudit(
        ctx,
        principal,
        'api_token.create',
        summary.id,
        null,
        { name: summary.name, prefix: summary.prefix },
        request.id,
      );
      return reply.status(201).send({ token, apiToken: summary });
    },
  );

  app.delete(
    '/api/me/tokens/:id',
    {
      config: { access: 'signedIn' },
      schema: { tags: ['accounts'], summary: 'Revoke a personal API token', params: IdParams, response: { 200: ApiTokenSchema } },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const { summary, alreadyRevoked } = await revokeApiToken(deps.db, ctx.clock, principal.technicianId, request.params.id);
      if (alreadyRevoked) return summary;
      await recordTokenAudit(
        ctx,
        principal,
        'api_token.revoke',
        summary.id,
        { revokedAt: null },
        { revokedAt: summary.revokedAt },
        request.id,
      );
      return summary;
    },
  );

  app.post(
    '/api/setup',
    {
      config: { access: 'public', signInBudget: true },
      schema: {
        tags: ['accounts'],
        summary: 'Create the first administrator with the one-time setup link',
        body: Type.Object({
          token: Type.String({ minLength: 1, maxLength: 200 }),
          username: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
          email: Type.Optional(Type.String({ maxLength: 320 })),
        }),
        response: { 201: Type.Object({ technician: TechnicianSchema, csrfToken: Type.String() }) },
      },
    },
    async (request, reply) => {
      const technician = await withinSignInBudget(ctx, request, undefined, () =>
        completeSetup(
          deps,
          request.body.token,
          { username: request.body.username, password: request.body.password, email: request.body.email ?? null },
          request.id,
        ),
      );
      const csrfToken = await startSession(ctx, reply, technician.id, request.cookies[SESSION_COOKIE]);
      return reply.status(201).send({ technician, csrfToken });
    },
  );

  app.get(
    '/api/technicians',
    {
      config: { access: 'administrator' },
      schema: {
        tags: ['accounts'],
        summary: 'Technician accounts',
        response: { 200: Type.Object({ items: Type.Array(TechnicianSchema) }) },
      },
    },
    async () => ({
      items: await listTechnicians(deps.db),
    }),
  );

  app.post(
    '/api/technicians',
    {
      config: { access: 'administrator' },
      schema: {
        tags: ['accounts'],
        summary: 'Create a technician account',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
          role: Role,
          email: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
          displayName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
        }),
        response: { 201: TechnicianSchema },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const created = await createTechnician(deps, request.body, { id: principal.technicianId, label: principal.username }, request.id);
      return reply.status(201).send(created);
    },
  );

  app.patch(
    '/api/technicians/:id',
    {
      config: { access: 'administrator' },
      schema: {
        tags: ['accounts'],
        summary: 'Change a technician: role, disabled, name, email or a new password',
        params: IdParams,
        body: Type.Object(
          {
            role: Type.Optional(Role),
            disabled: Type.Optional(Type.Boolean()),
            displayName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
            email: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
            password: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH })),
          },
          { minProperties: 1 },
        ),
        response: { 200: TechnicianSchema },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      if (request.body.role !== undefined) await requireFreshSecondFactor(deps, principal);
      return updateTechnician(deps, request.params.id, request.body, { id: principal.technicianId, label: principal.username }, request.id);
    },
  );

  app.get(
    '/api/audit',
    {
      config: { access: 'administrator' },
      schema: {
        tags: ['accounts'],
        summary: 'The audit log, newest first',
        querystring: Type.Object({ ...PageQuery, subjectType: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: Paged(
            Type.Object({
              id: Type.String(),
              actor: Type.String(),
              action: Type.String(),
              subjectType: Type.String(),
              subjectId: Nullable(Type.String()),
              before: Type.Unknown(),
              after: Type.Unknown(),
              requestId: Nullable(Type.String()),
              at: Timestamp,
            }),
          ),
        },
      },
    },
    async (request) => {
      const { page, pageSize, subjectType } = request.query;
      const { items, total } = await listAuditEntries(deps.db, { page, pageSize, subjectType });
      return {
        items,
        total,
        page,
        pageSize,
      };
    },
  );
};

async function recordTokenAudit(
  ctx: AppContext,
  principal: { technicianId: string; username: string },
  action: string,
  tokenId: string,
  before: unknown,
  after: unknown,
  requestId: string,
) {
  await recordAudit(ctx.database.db, {
    actor: { id: principal.technicianId, label: principal.username },
    action,
    subjectType: 'api_token',
    subjectId: tokenId,
    before,
    after,
    requestId,
    at: ctx.clock.now(),
  });
}
