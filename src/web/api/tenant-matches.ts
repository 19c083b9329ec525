// Organizations ↔ tenants over the API.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import {
  acceptSuggestion,
  bulkAcceptSuggestions,
  chooseOrganization,
  createOrganizationFromTenant,
  ignoreTenant,
  listTenantMatches,
  undoTenantDecision,
  type ActionContext,
} from '../services/tenant-matches.ts';
import { requirePrincipal } from '../guards.ts';
import { DecisionAppliedSchema, DecisionSnapshotSchema, IdParams, Nullable, PageQuery, Paged, Timestamp, Uuid } from '../schemas.ts';
import { CsvFormatQuery, sendCsv, wantsCsv } from '../../docs/export.ts';
import { TENANT_COLUMNS } from '../csv-columns.ts';
import { applyDecisionsNow } from '../../sync/apply-decisions.ts';

const State = Type.Union([Type.Literal('matched'), Type.Literal('suggested'), Type.Literal('unmatched'), Type.Literal('ignored')]);
export const TenantMatchSchema = Type.Object({
  id: Type.String({ description: 'docsync tenant id (use in URLs)' }),
  tenantId: Type.String({ description: 'Microsoft tenant GUID' }),
  displayName: Type.String(),
  defaultDomain: Nullable(Type.String()),
  integrationId: Type.String(),
  integrationName: Type.String(),
  health: Type.String(),
  healthReason: Nullable(Type.String()),
  state: State,
  rule: Nullable(Type.String()),
  score: Nullable(Type.Number()),
  organizationId: Nullable(Type.String()),
  organizationName: Nullable(Type.String()),
  suggestions: Type.Array(Type.Object({ organizationId: Type.String(), name: Type.String(), score: Type.Number() })),
  decidedByTechnician: Type.Boolean(),
  decidedAt: Nullable(Timestamp),
  lastSyncAt: Nullable(Timestamp),
});
const NullableDecision = Nullable(DecisionSnapshotSchema);

export function actionContext(request: FastifyRequest): ActionContext {
  const principal = requirePrincipal(request);
  return { actor: { id: principal.technicianId, label: principal.username }, requestId: request.id };
}

export const tenantMatchApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock };
  const tags = ['organizations'];
  // A technician's match is documentation at once: derived from the staged Microsoft data.
  const applyNow = (tenantId: string) => applyDecisionsNow({ ...deps, config: ctx.config }, tenantId);

  app.get(
    '/api/tenants',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: 'Customer tenants with their organization match (paged)',
        querystring: Type.Object({
          ...PageQuery,
          state: Type.Optional(State),
          integrationId: Type.Optional(Uuid),
          search: Type.Optional(Type.String({ maxLength: 200 })),
          ...CsvFormatQuery,
        }),
        response: {
          200: Type.Intersect([
            Paged(TenantMatchSchema),
            Type.Object({
              counts: Type.Object({
                matched: Type.Integer(),
                suggested: Type.Integer(),
                unmatched: Type.Integer(),
                ignored: Type.Integer(),
              }),
            }),
          ]),
        },
      },
    },
    async (request, reply) => {
      if (wantsCsv(request))
        return sendCsv(
          reply,
          'tenants',
          ctx.clock.now(),
          TENANT_COLUMNS,
          async (page, pageSize) => (await listTenantMatches(deps, { ...request.query, page, pageSize })).items,
        );
      const result = await listTenantMatches(deps, request.query);
      return { ...result, page: request.query.page, pageSize: request.query.pageSize };
    },
  );

  // GET /api/organizations (list and type-ahead) lives in organizations.ts.

  const decisionResponse = { 200: Type.Object({ decision: NullableDecision }) };
  const appliedResponse = { 200: Type.Object({ decision: NullableDecision, applied: DecisionAppliedSchema }) };

  app.post(
    '/api/tenants/:id/accept',
    {
      config: { access: 'technician' },
      schema: {
        tags,
        summary: 'Accept a suggestion (the best one when none is named)',
        params: IdParams,
        body: Type.Object({ organizationId: Type.Optional(Uuid) }),
        response: appliedResponse,
      },
    },
    async (request) => ({
      decision: await acceptSuggestion(deps, request.params.id, request.body?.organizationId, actionContext(request)),
      applied: await applyNow(request.params.id),
    }),
  );

  app.post(
    '/api/tenants/:id/choose',
    {
      config: { access: 'technician' },
      schema: {
        tags,
        summary: 'Match the tenant to any organization',
        params: IdParams,
        body: Type.Object({ organizationId: Uuid }),
        response: appliedResponse,
      },
    },
    async (request) => ({
      decision: await chooseOrganization(deps, request.params.id, request.body.organizationId, actionContext(request)),
      applied: await applyNow(request.params.id),
    }),
  );

  app.post(
    '/api/tenants/:id/create-organization',
    {
      config: { access: 'technician' },
      schema: {
        tags,
        summary: 'Create an organization from the tenant and match them',
        params: IdParams,
        response: {
          201: Type.Object({
            organization: Type.Object({ id: Type.String(), name: Type.String() }),
            decision: DecisionSnapshotSchema,
            applied: DecisionAppliedSchema,
          }),
        },
      },
    },
    async (request, reply) => {
      const created = await createOrganizationFromTenant(deps, request.params.id, actionContext(request));
      return reply.status(201).send({ ...created, applied: await applyNow(request.params.id) });
    },
  );

  app.post(
    '/api/tenants/:id/ignore',
    {
      config: { access: 'technician' },
      schema: { tags, summary: 'Ignore the tenant (never documented)', params: IdParams, response: decisionResponse },
    },
    async (request) => ({
      decision: await ignoreTenant(deps, request.params.id, actionContext(request)),
    }),
  );

  app.post(
    '/api/tenants/:id/undo',
    {
      config: { access: 'technician' },
      schema: { tags, summary: 'Undo the latest decision on the tenant', params: IdParams, response: decisionResponse },
    },
    async (request) => ({
      decision: await undoTenantDecision(deps, request.params.id, actionContext(request)),
    }),
  );

  app.post(
    '/api/tenants/bulk-accept',
    {
      config: { access: 'technician' },
      schema: {
        tags,
        summary: 'Accept the top suggestion of every tenant scoring at least minScore',
        body: Type.Object({ minScore: Type.Number({ minimum: 0, maximum: 1 }), integrationId: Type.Optional(Uuid) }),
        response: {
          200: Type.Object({
            accepted: Type.Integer(),
            documented: Type.Integer({ description: 'accepted tenants whose contacts and configurations were written at once' }),
          }),
        },
      },
    },
    async (request) => {
      const { accepted, tenantIds } = await bulkAcceptSuggestions(
        deps,
        request.body.minScore,
        request.body.integrationId,
        actionContext(request),
      );
      let documented = 0;
      for (const id of tenantIds) if ((await applyNow(id)).applied) documented++;
      return { accepted, documented };
    },
  );
};
