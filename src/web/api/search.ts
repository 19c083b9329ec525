// GET /api/search: one search box across every customer (src/docs/search.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { SEARCH_KINDS, searchEverything } from '../../docs/search.ts';

export const SearchResultSchema = Type.Object({
  kind: Type.Union(SEARCH_KINDS.map((k) => Type.Literal(k))),
  id: Type.String(),
  label: Type.String(),
  detail: Type.String(),
  url: Type.String({ description: 'The docsync page of the result' }),
});

export const searchApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  app.get(
    '/api/search',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['search'],
        summary:
          'Organizations, tenants (and their domains), contacts (name, any email, UPN, phone) and configurations (name, serial); case, ' +
          'accents and small typos do not matter. Best matches first; fewer than 2 characters find nothing.',
        querystring: Type.Object({ q: Type.String({ maxLength: 200 }), limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }) }),
        response: { 200: Type.Object({ results: Type.Array(SearchResultSchema) }) },
      },
    },
    async (request) => ({ results: await searchEverything(db, request.query.q, request.query.limit) }),
  );
};
