// The results of the header's search box (the same search as GET /api/search).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { MIN_QUERY_LENGTH, searchEverything, type SearchKind } from '../../docs/search.ts';
import { requirePrincipal } from '../guards.ts';
import { html, name } from '../html.ts';
import { emptyState, layout } from './layout.ts';
import { sendPage } from './account-pages.ts';

const KIND_LABEL: Record<SearchKind, string> = {
  organization: 'Organization',
  tenant: 'Tenant',
  contact: 'Contact',
  configuration: 'Configuration',
};

export const searchPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  app.get(
    '/search',
    {
      config: { access: 'signedIn', page: true },
      schema: { querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })) }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const q = (request.query.q ?? '').trim();
      const results = await searchEverything(db, q, 50);
      const body = html`<h1>Search${q ? html` for “<bdi>${q}</bdi>”` : ''}</h1>
        ${
          q.length < MIN_QUERY_LENGTH
            ? emptyState(
                'Type at least two letters in the search box above.',
                'It finds organizations, tenants and domains, contacts by name, any email, user principal name or phone, and ' +
                  'configurations by name or serial number.',
              )
            : results.length === 0
              ? emptyState(
                  'Nothing found.',
                  'Case, accents and small typos do not matter; try part of a name, an email address or a serial number.',
                )
              : html`<ol class="results">
                  ${results.map(
                    (r) =>
                      html`<li data-kind="${r.kind}">
                        <a href="${r.url}">${name(r.label)}</a> <span class="badge kind">${KIND_LABEL[r.kind]}</span><br /><span
                          class="muted"
                          >${r.detail}</span
                        >
                      </li>`,
                  )}
                </ol>`
        }`;
      return sendPage(
        reply,
        200,
        layout({ title: q ? `Search: ${q.slice(0, 60)}` : 'Search', principal, section: 'none', body, search: q }),
      );
    },
  );
};
