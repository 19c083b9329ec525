// Lifecycle actions and the password vault over the API. Routes are thin: the engine
// (src/actions/) and the vault (src/docs/vault.ts) hold the rules. Every write and every reveal
// passes requireFreshSecondFactor (src/actions/permission.ts), the step-up check point.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { getAction, listTenantActions, requestAction, resumeAction } from '../../actions/engine.ts';
import { integrationActions, setActionsEnabled } from '../../actions/integration-actions.ts';
import { actorOf, requireFreshSecondFactor } from '../../actions/permission.ts';
import { ACTION_KINDS } from '../../actions/roles.ts';
import { actionDepsFor } from '../../actions/wiring.ts';
import {
  listOrganizationRotationSchedules,
  listTenantRotationSchedules,
  removeRotationSchedule,
  setRotationSchedules,
} from '../../actions/rotation-schedules.ts';
import { setCanAct } from '../../auth/accounts.ts';
import { getTenant } from '../../stores/tenants.ts';
import { addVaultEntry, listVaultEntries, revealVaultEntry } from '../../docs/vault.ts';
import { createMicrosoft } from '../../microsoft/index.ts';
import { requirePrincipal } from '../guards.ts';
import { IdParams, Nullable, Timestamp, Uuid } from '../schemas.ts';

const StepSchema = Type.Object({ name: Type.String(), status: Type.String(), detail: Type.String() });
export const ActionSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.Union(['preview', 'queued', 'running', 'succeeded', 'failed', 'partial'].map((s) => Type.Literal(s))),
  steps: Type.Array(StepSchema),
  tenantId: Type.String(),
  userIds: Type.Array(Type.String()),
  summary: Type.String(),
  requestedBy: Type.String(),
  createdAt: Timestamp,
  finishedAt: Nullable(Timestamp),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String(), action: Nullable(Type.String()) })),
});
const ActionEnvelope = Type.Object({ action: ActionSchema });
const ActionBody = Type.Object(
  {
    kind: Type.Union(ACTION_KINDS.map((k) => Type.Literal(k))),
    tenantId: Uuid,
    userIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { maxItems: 200 })),
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    preview: Type.Boolean(),
  },
  { additionalProperties: false },
);
const IntegrationActions = Type.Object({
  enabled: Type.Boolean(),
  scopes: Type.Array(Type.String()),
  tenants: Type.Array(
    Type.Object({
      id: Type.String(),
      displayName: Type.String(),
      consentUrl: Type.String(),
      allowed: Type.Record(Type.String(), Type.Boolean()),
    }),
  ),
});
const RotationScheduleSchema = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    tenantName: Type.String(),
    userId: Type.String(),
    userPrincipalName: Type.String(),
    intervalDays: Type.Integer(),
    nextRotationAt: Timestamp,
    lastRotatedAt: Nullable(Timestamp),
    lastAction: Nullable(Type.Object({ id: Type.String(), status: Type.String(), error: Nullable(Type.String()) })),
    problem: Nullable(Type.String()),
    createdBy: Type.String(),
  },
  { description: "A user's scheduled password rotation: every intervalDays, a password_rotation action queued for the workers." },
);
const RotationSchedules = Type.Object({ items: Type.Array(RotationScheduleSchema) });
const VaultEntrySchema = Type.Object(
  {
    id: Type.String(),
    organizationId: Type.String(),
    contactId: Nullable(Type.String()),
    name: Type.String(),
    username: Nullable(Type.String()),
    source: Type.String(),
    createdBy: Type.String(),
    updatedAt: Timestamp,
  },
  { description: 'A vault entry as lists show it: never the password.' },
);

export const actionApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const microsoft = createMicrosoft({ config: ctx.config, db: ctx.database.db, secrets: ctx.secrets, log: ctx.log, clock: ctx.clock });
  const deps = actionDepsFor(ctx, microsoft);
  const tags = ['actions'];
  const stepUp = { db: ctx.database.db, clock: ctx.clock };
  const actor = async (request: FastifyRequest) => actorOf(ctx.database.db, requirePrincipal(request));

  app.post(
    '/api/actions',
    {
      config: { access: 'technician' },
      schema: {
        tags,
        summary: 'Preview (nothing changes) or queue a lifecycle action',
        body: ActionBody,
        response: { 200: ActionEnvelope, 202: ActionEnvelope },
      },
    },
    async (request, reply) => {
      if (!request.body.preview) await requireFreshSecondFactor(stepUp, requirePrincipal(request));
      const action = await requestAction(deps, await actor(request), request.body);
      return reply.status(request.body.preview ? 200 : 202).send({ action });
    },
  );

  app.get(
    '/api/actions/:id',
    {
      config: { access: 'signedIn' },
      schema: { tags, summary: 'One action and its steps', params: IdParams, response: { 200: ActionEnvelope } },
    },
    async (request) => ({
      action: await getAction(ctx.database.db, request.params.id),
    }),
  );

  app.post(
    '/api/actions/:id/resume',
    {
      config: { access: 'technician' },
      schema: {
        tags,
        summary: 'Resume a failed or partial action at the step that failed',
        params: IdParams,
        response: { 202: ActionEnvelope },
      },
    },
    async (request, reply) => {
      await requireFreshSecondFactor(stepUp, requirePrincipal(request));
      return reply.status(202).send({ action: await resumeAction(deps, await actor(request), request.params.id) });
    },
  );

  app.get(
    '/api/tenants/:id/actions',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: "A tenant's actions, newest first (userId: one user's)",
        params: IdParams,
        querystring: Type.Object({ userId: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: Type.Object({ items: Type.Array(ActionSchema) }) },
      },
    },
    async (request) => {
      const tenant = await getTenant(ctx.database.db, request.params.id);
      return { items: await listTenantActions(ctx.database.db, tenant.id, { userId: request.query.userId }) };
    },
  );

  app.get(
    '/api/integrations/:id/actions',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: 'Whether actions are on, and what each tenant allows (from its GDAP roles)',
        params: IdParams,
        response: { 200: IntegrationActions },
      },
    },
    async (request) => integrationActions(ctx.database.db, request.params.id, ctx.config.microsoft),
  );

  app.post(
    '/api/integrations/:id/actions',
    {
      config: { access: 'administrator' },
      schema: {
        tags,
        summary: 'Turn lifecycle actions on or off; returns the admin-consent link per tenant for the write permissions',
        params: IdParams,
        body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: IntegrationActions },
      },
    },
    async (request) =>
      setActionsEnabled(
        ctx.database.db,
        await actor(request),
        request.params.id,
        request.body.enabled,
        ctx.clock.now(),
        ctx.config.microsoft,
      ),
  );

  app.put(
    '/api/technicians/:id/can-act',
    {
      config: { access: 'administrator' },
      schema: {
        tags,
        summary: 'Allow (or stop) a technician to run lifecycle actions and reveal vault passwords',
        params: IdParams,
        body: Type.Object({ canAct: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Type.Object({ id: Type.String(), canAct: Type.Boolean() }) },
      },
    },
    async (request) => {
      const by = await actor(request);
      const now = ctx.clock.now();
      await setCanAct(ctx.database.db, {
        technicianId: request.params.id,
        canAct: request.body.canAct,
        actor: { id: by.id, label: by.label },
        requestId: request.id,
        at: now,
      });
      return { id: request.params.id, canAct: request.body.canAct };
    },
  );

  // --- scheduled password rotation ---
  app.get(
    '/api/tenants/:id/password-rotations',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: "A tenant's password rotation schedules: every N days, next and last rotation",
        params: IdParams,
        response: { 200: RotationSchedules },
      },
    },
    async (request) => ({ items: await listTenantRotationSchedules(deps, request.params.id) }),
  );

  app.get(
    '/api/organizations/:id/password-rotations',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: "The password rotation schedules of an organization's tenants",
        params: IdParams,
        response: { 200: RotationSchedules },
      },
    },
    async (request) => ({ items: await listOrganizationRotationSchedules(deps, request.params.id) }),
  );

  app.post(
    '/api/tenants/:id/password-rotations',
    {
      config: { access: 'technician' },
      schema: {
        tags,
        summary: "Rotate these users' passwords every intervalDays (set or change); refused like the rotation itself would be",
        params: IdParams,
        body: Type.Object(
          {
            userIds: Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { minItems: 1, maxItems: 200 }),
            intervalDays: Type.Integer({ minimum: 1, maximum: 365 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: RotationSchedules },
      },
    },
    async (request, reply) => {
      await requireFreshSecondFactor(stepUp, requirePrincipal(request));
      const items = await setRotationSchedules(deps, await actor(request), {
        tenantId: request.params.id,
        userIds: request.body.userIds,
        intervalDays: request.body.intervalDays,
        requestId: request.id,
      });
      return reply.status(201).send({ items });
    },
  );

  app.delete(
    '/api/password-rotations/:id',
    {
      config: { access: 'technician' },
      schema: { tags, summary: 'Stop rotating this password', params: IdParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await removeRotationSchedule(deps, await actor(request), request.params.id, request.id);
      return reply.status(204).send(null);
    },
  );

  // --- the password vault ---
  app.get(
    '/api/organizations/:id/vault',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['vault'],
        summary: "An organization's vault entries (names only, never passwords)",
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(VaultEntrySchema) }) },
      },
    },
    async (request) => ({ items: await listVaultEntries(ctx.database.db, request.params.id) }),
  );

  app.post(
    '/api/organizations/:id/vault',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['vault'],
        summary: 'Add a password by hand (sealed with the key ring)',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            username: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
            password: Type.String({ minLength: 1, maxLength: 1000 }),
            contactId: Type.Optional(Nullable(Uuid)),
          },
          { additionalProperties: false },
        ),
        response: { 201: VaultEntrySchema },
      },
    },
    async (request, reply) => {
      const entry = await addVaultEntry({ db: ctx.database.db, secrets: ctx.secrets, clock: ctx.clock }, await actor(request), {
        organizationId: request.params.id,
        ...request.body,
      });
      return reply.status(201).send(entry);
    },
  );

  app.post(
    '/api/vault/:id/reveal',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['vault'],
        summary: 'Reveal one password (audited; administrators and technicians allowed to act)',
        params: IdParams,
        response: { 200: Type.Object({ entry: VaultEntrySchema, password: Type.String() }) },
      },
    },
    async (request, reply) => {
      await requireFreshSecondFactor(stepUp, requirePrincipal(request));
      reply.header('Cache-Control', 'no-store');
      return revealVaultEntry(
        { db: ctx.database.db, secrets: ctx.secrets, clock: ctx.clock },
        await actor(request),
        request.params.id,
        request.id,
      );
    },
  );
};
