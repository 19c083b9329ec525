// Integrations (administrators) and sync runs ("sync now" for technicians) over the API.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { createIntegration, getIntegration, integrationTenants, listIntegrations, updateIntegration } from '../services/integrations.ts';
import { listRuns, requestSync, runDetail } from '../../stores/runs.ts';
import { actionContext } from './tenant-matches.ts';
import { requireFreshSecondFactor } from '../../auth/step-up.ts';
import { requirePrincipal } from '../guards.ts';
import { AfterId, IdParams, Nullable, PageQuery, Paged, Timestamp, Uuid } from '../schemas.ts';
import { CsvFormatQuery, sendCsv, wantsCsv } from '../../docs/export.ts';
import { RUN_COLUMNS } from '../csv-columns.ts';
import { INACTIVE_DAYS_RANGE } from '../../sync/settings.ts';
import { LogFilterQuery, logFilter } from '../sync-log-query.ts';
import { runTenantStates } from '../../sync/run-tenant-states.ts';
import { cursorQuery, keysetCsvPages, RunCursorQuery } from '../run-list-paging.ts';
import type { SyncRunStatus } from '../../db/schema.ts';

const Kind = Type.Union([Type.Literal('gdap'), Type.Literal('direct_delegated'), Type.Literal('direct_app')]);
const Settings = Type.Object({
  includeGuests: Type.Boolean(),
  includeDisabled: Type.Boolean(),
  excludeGroupIds: Type.Array(Type.String()),
  domains: Type.Array(Type.String()),
  autoCreate: Type.Boolean(),
  createOrganizations: Type.Boolean(),
  inactiveDays: Nullable(Type.Integer({ description: 'Days without sign-in, app activity or device check-in; null = the default' })),
  includeResourceMailboxes: Type.Boolean({ description: 'Rooms, equipment and shared mailboxes become contacts too (default false)' }),
  schedule: Nullable(Type.String()),
});
const SettingsInput = Type.Partial(
  Type.Object({
    includeGuests: Type.Boolean(),
    includeDisabled: Type.Boolean(),
    excludeGroupIds: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200 }),
    domains: Type.Array(Type.String({ maxLength: 253 }), { maxItems: 200 }),
    autoCreate: Type.Boolean(),
    createOrganizations: Type.Boolean(),
    inactiveDays: Nullable(Type.Integer(INACTIVE_DAYS_RANGE)),
    includeResourceMailboxes: Type.Boolean(),
    schedule: Nullable(Type.String({ maxLength: 100 })),
  }),
);
export const IntegrationSchema = Type.Object({
  id: Type.String(),
  kind: Kind,
  name: Type.String(),
  tenantId: Type.String(),
  clientId: Type.String(),
  hasClientSecret: Type.Boolean({ description: 'Secrets are write-only: never returned.' }),
  clientSecretExpiresAt: Nullable(Timestamp),
  status: Type.String(),
  statusReason: Nullable(Type.String()),
  connectedAt: Nullable(Timestamp),
  settings: Settings,
  tenantCount: Type.Integer(),
  failingTenants: Type.Integer(),
  lastRun: Nullable(Type.Object({ id: Type.String(), status: Type.String(), createdAt: Timestamp })),
});
const Counts = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  flagged: Type.Integer(),
  failed: Type.Integer(),
  graphRequests: Type.Integer(),
  throttled: Type.Integer(),
});
export const RunSchema = Type.Object({
  id: Type.String(),
  integrationId: Type.String(),
  integrationName: Nullable(Type.String()),
  tenantId: Nullable(Type.String()),
  tenantName: Nullable(Type.String()),
  parentRunId: Nullable(Type.String()),
  trigger: Type.String(),
  requestedBy: Nullable(Type.String()),
  status: Type.String(),
  phase: Nullable(Type.String()),
  createdAt: Timestamp,
  startedAt: Nullable(Timestamp),
  finishedAt: Nullable(Timestamp),
  counts: Counts,
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  summary: Nullable(Type.String()),
});
const RunningTenantSchema = Type.Object({
  runId: Type.String(),
  tenantId: Nullable(Type.String()),
  tenantName: Nullable(Type.String()),
  phase: Nullable(Type.String({ description: 'What the run is doing now: users, mailboxes, writing…' })),
  startedAt: Nullable(Timestamp),
  elapsedSeconds: Type.Integer({ description: "Seconds since the tenant's run started" }),
});
const RunStatus = Type.Union(['queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled'].map((s) => Type.Literal(s)));
const SyncRequested = Type.Object({ runId: Type.String(), alreadyQueued: Type.Boolean() });

export const operationsApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, secrets: ctx.secrets, clock: ctx.clock };

  app.get(
    '/api/integrations',
    {
      config: { access: 'signedIn' },
      schema: { tags: ['integrations'], summary: 'Integrations', response: { 200: Type.Object({ items: Type.Array(IntegrationSchema) }) } },
    },
    async () => ({
      items: await listIntegrations(deps),
    }),
  );

  app.get(
    '/api/integrations/:id',
    {
      config: { access: 'signedIn' },
      schema: { tags: ['integrations'], summary: 'One integration', params: IdParams, response: { 200: IntegrationSchema } },
    },
    async (request) => getIntegration(deps, request.params.id),
  );

  app.post(
    '/api/integrations',
    {
      config: { access: 'administrator' },
      schema: {
        tags: ['integrations'],
        summary: 'Create an integration (the client secret is stored encrypted and never returned)',
        body: Type.Object({
          kind: Kind,
          name: Type.String({ minLength: 1, maxLength: 200 }),
          tenantId: Type.String({ minLength: 1, maxLength: 253 }),
          clientId: Type.String({ minLength: 1, maxLength: 64 }),
          clientSecret: Type.String({ minLength: 1, maxLength: 1024, writeOnly: true }),
          clientSecretExpiresAt: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
          settings: Type.Optional(SettingsInput),
        }),
        response: { 201: IntegrationSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createIntegration(deps, request.body, actionContext(request))),
  );

  app.patch(
    '/api/integrations/:id',
    {
      config: { access: 'administrator' },
      schema: {
        tags: ['integrations'],
        summary: 'Edit an integration: name, settings (exclusions, schedule, auto-create), a new client secret',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, writeOnly: true })),
            clientSecretExpiresAt: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
            settings: Type.Optional(SettingsInput),
          },
          { minProperties: 1 },
        ),
        response: { 200: IntegrationSchema },
      },
    },
    async (request) => {
      // A new client secret decides what docsync can do in every customer tenant: confirm who asks.
      if (request.body.clientSecret !== undefined) await requireFreshSecondFactor(deps, requirePrincipal(request));
      return updateIntegration(deps, request.params.id, request.body, actionContext(request));
    },
  );

  app.get(
    '/api/integrations/:id/tenants',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['integrations'],
        summary: "An integration's tenants with health and the action to take (paged, failing first)",
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: Paged(
            Type.Object({
              id: Type.String(),
              tenantId: Type.String(),
              displayName: Type.String(),
              health: Type.String(),
              healthReason: Nullable(Type.String()),
              active: Type.Boolean(),
              inactiveReason: Nullable(Type.String()),
              relationshipStatus: Nullable(Type.String()),
              relationshipEndAt: Nullable(Timestamp),
              lastSyncAt: Nullable(Timestamp),
              action: Nullable(Type.String()),
            }),
          ),
        },
      },
    },
    async (request) => ({
      ...(await integrationTenants(deps.db, request.params.id, request.query.page, request.query.pageSize)),
      page: request.query.page,
      pageSize: request.query.pageSize,
    }),
  );

  app.post(
    '/api/integrations/:id/sync',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['sync runs'],
        summary: 'Sync now: every tenant of the integration',
        params: IdParams,
        response: { 202: SyncRequested },
      },
    },
    async (request, reply) => reply.status(202).send(await requestSync(deps, { integrationId: request.params.id }, actionContext(request))),
  );

  app.post(
    '/api/tenants/:id/sync',
    {
      config: { access: 'technician' },
      schema: { tags: ['sync runs'], summary: 'Sync now: one tenant', params: IdParams, response: { 202: SyncRequested } },
    },
    async (request, reply) => reply.status(202).send(await requestSync(deps, { tenantId: request.params.id }, actionContext(request))),
  );

  app.get(
    '/api/sync-runs',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['sync runs'],
        summary: 'Sync runs, newest first (paged: follow nextLink / previousLink, or use page)',
        querystring: Type.Object({
          ...PageQuery,
          ...RunCursorQuery,
          integrationId: Type.Optional(Uuid),
          tenantId: Type.Optional(Uuid),
          status: Type.Optional(RunStatus),
          ...CsvFormatQuery,
        }),
        response: {
          200: Type.Composite([
            Paged(RunSchema),
            Type.Object({
              nextLink: Nullable(Type.String({ description: 'The next (older) page, with the same filters; null on the last page' })),
              previousLink: Nullable(Type.String({ description: 'The previous (newer) page; null on the first page' })),
            }),
          ]),
        },
      },
    },
    async (request, reply) => {
      const { page, pageSize, after, before, integrationId, tenantId } = request.query;
      const status = request.query.status as SyncRunStatus | undefined;
      const filter = { integrationId, tenantId, status };
      if (wantsCsv(request)) return sendCsv(reply, 'sync-runs', ctx.clock.now(), RUN_COLUMNS, keysetCsvPages(deps.db, filter));
      const list = await listRuns(deps.db, { ...filter, page, pageSize, after, before });
      const link = (cursor: Record<string, string>) => `/api/sync-runs?${cursorQuery({ ...filter, pageSize }, cursor)}`;
      return {
        items: list.items,
        total: list.total,
        page: after || before ? 0 : page,
        pageSize,
        nextLink: list.nextAfter ? link({ after: list.nextAfter }) : null,
        previousLink: list.previousBefore ? link({ before: list.previousBefore }) : null,
      };
    },
  );

  app.get(
    '/api/sync-runs/:id',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['sync runs'],
        summary: 'One run: its per-tenant runs and log lines (poll with logAfter for new lines; filter by level and tenantId)',
        params: IdParams,
        querystring: Type.Object({
          logAfter: Type.Optional(AfterId),
          logBefore: Type.Optional({ ...AfterId, description: 'Lines before this line id (the page before; ignored with logAfter)' }),
          logLimit: Type.Integer({ minimum: 1, maximum: 1000, default: 500 }),
          ...LogFilterQuery,
        }),
        response: {
          200: Type.Object({
            run: RunSchema,
            tenants: Type.Array(RunSchema),
            running: Type.Array(RunningTenantSchema, {
              description: 'The tenants whose run is running now, the longest-running first (empty once the run is over)',
            }),
            tenantCounts: Type.Object(
              { running: Type.Integer(), done: Type.Integer(), waiting: Type.Integer() },
              { description: 'Per-tenant runs running now, finished (any outcome) and waiting for a worker' },
            ),
            log: Type.Array(
              Type.Object({
                id: Type.String(),
                tenantId: Nullable(Type.String()),
                tenantName: Nullable(Type.String()),
                level: Type.String(),
                code: Type.String(),
                message: Type.String(),
                action: Nullable(Type.String()),
                at: Timestamp,
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { logAfter, logBefore, logLimit } = request.query;
      const detail = await runDetail(deps.db, request.params.id, logAfter ?? null, logLimit, logFilter(request.query), logBefore ?? null);
      const states = runTenantStates(detail.tenants, ctx.clock.now());
      return { ...detail, running: states.running, tenantCounts: states.counts };
    },
  );
};
