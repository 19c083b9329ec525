// GET /api/attention: what needs a technician across every customer (src/docs/attention.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { ATTENTION_KINDS, ATTENTION_SEVERITIES, attentionItems } from '../../docs/attention.ts';
import { Uuid } from '../schemas.ts';
import { CsvFormatQuery, sendCsv, wantsCsv } from '../../docs/export.ts';
import { ATTENTION_COLUMNS } from '../csv-columns.ts';

const Severity = Type.Union(ATTENTION_SEVERITIES.map((s) => Type.Literal(s)));
const Kind = Type.Union(ATTENTION_KINDS.map((k) => Type.Literal(k)));

export const AttentionItemSchema = Type.Object({
  kind: Kind,
  severity: Severity,
  organizationId: Type.Optional(Type.String({ description: "docsync organization id (the tenant's matched organization)" })),
  tenantId: Type.Optional(Type.String({ description: 'docsync tenant id (as in /tenants/{id}), not the Microsoft tenant GUID' })),
  integrationId: Type.Optional(Type.String()),
  message: Type.String(),
  action: Type.String({ description: 'What to do, in words' }),
  url: Type.String({ description: 'Where it is fixed: a docsync page, or the admin consent link when consent is missing' }),
});

export const AttentionQuery = Type.Object({ severity: Type.Optional(Severity), integrationId: Type.Optional(Uuid), ...CsvFormatQuery });

export const attentionApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, secrets: ctx.secrets, clock: ctx.clock, authorityHost: ctx.config.microsoft.authorityHost };
  app.get(
    '/api/attention',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['attention'],
        summary:
          'What needs attention across every customer, most severe first, each with the action and where to fix it (CSV: ?format=csv or ' +
          'Accept: text/csv)',
        querystring: AttentionQuery,
        response: {
          200: Type.Object({
            items: Type.Array(AttentionItemSchema),
            counts: Type.Object(
              { error: Type.Integer(), warning: Type.Integer(), info: Type.Integer(), byKind: Type.Record(Type.String(), Type.Integer()) },
              { description: 'Per severity and per kind, before the severity filter (after the integration filter)' },
            ),
          }),
        },
      },
    },
    async (request, reply) => {
      if (wantsCsv(request))
        return sendCsv(reply, 'attention', ctx.clock.now(), ATTENTION_COLUMNS, async (page) =>
          page === 1 ? (await attentionItems(deps, request.query)).items : [],
        );
      return attentionItems(deps, request.query);
    },
  );
};
