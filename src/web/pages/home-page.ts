// The landing page: what needs attention across every customer, most severe first, each item
// with what to do and a link to where it is fixed (src/docs/attention.ts, as GET /api/attention).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { ATTENTION_SEVERITIES, attentionItems, type AttentionItem, type AttentionSeverity } from '../../docs/attention.ts';
import { listIntegrations } from '../services/integrations.ts';
import { requirePrincipal } from '../guards.ts';
import { html, type SafeHtml } from '../html.ts';
import { emptyState, layout } from './layout.ts';
import { sendPage } from './account-pages.ts';
import { Uuid } from '../schemas.ts';
import { csvHref, CsvFormatQuery, sendCsv, wantsCsv } from '../../docs/export.ts';
import { ATTENTION_COLUMNS } from '../csv-columns.ts';

const SEVERITY_LABEL: Record<AttentionSeverity, string> = { error: 'Needs action now', warning: 'Needs action soon', info: 'Worth a look' };
const SEVERITY_BADGE: Record<AttentionSeverity, string> = { error: 'error', warning: 'warning', info: 'info' };
/** Filters arrive from a GET form: an empty select means "any". */
const HomeQuery = Type.Object({
  severity: Type.Optional(Type.Union([Type.Literal('error'), Type.Literal('warning'), Type.Literal('info'), Type.Literal('')])),
  integrationId: Type.Optional(Type.Union([Uuid, Type.Literal('')])),
  ...CsvFormatQuery,
});

function fixLink(item: AttentionItem): SafeHtml {
  const external = /^https?:/i.test(item.url);
  const label = item.kind === 'consent_missing' ? 'Open the admin consent link' : 'Fix it';
  return external
    ? html`<a class="button secondary" href="${item.url}" rel="noopener noreferrer" target="_blank"
        >${label}<span class="visually-hidden"> (opens Microsoft in a new tab)</span></a
      >`
    : html`<a class="button secondary" href="${item.url}">${label}<span class="visually-hidden">: ${item.message.slice(0, 120)}</span></a>`;
}

export const homePageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, secrets: ctx.secrets, clock: ctx.clock, authorityHost: ctx.config.microsoft.authorityHost };

  app.get(
    '/',
    {
      config: { access: 'signedIn', page: true },
      schema: { querystring: HomeQuery },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const severity = (request.query.severity || undefined) as AttentionSeverity | undefined;
      const integrationId = request.query.integrationId || undefined;
      if (wantsCsv(request))
        return sendCsv(reply, 'attention', ctx.clock.now(), ATTENTION_COLUMNS, async (page) =>
          page === 1 ? (await attentionItems(deps, { severity, integrationId })).items : [],
        );
      const [{ items, counts }, integrations] = await Promise.all([
        attentionItems(deps, { severity, integrationId }),
        listIntegrations(deps),
      ]);
      const total = counts.error + counts.warning + counts.info;
      const filterLink = (value: AttentionSeverity | undefined, label: string, n: number) => {
        const params = new URLSearchParams();
        if (value) params.set('severity', value);
        if (integrationId) params.set('integrationId', integrationId);
        const query = params.toString();
        return html`<li>
          <a href="/${query ? `?${query}` : ''}" ${severity === value ? html` aria-current="true"` : ''}
            >${value ? html`<span class="badge attention-${value}">${value}</span>` : 'all'} ${n}</a
          >
        </li>`;
      };
      const groups = ATTENTION_SEVERITIES.map((s) => ({ severity: s, items: items.filter((i) => i.severity === s) })).filter(
        (g) => g.items.length > 0,
      );
      const body = html`<h1>Needs attention</h1>
        <p class="muted">Across every customer: what is failing, expiring, waiting for a decision or costing money, and where to fix it.</p>
        <ul class="counts" aria-label="Items by severity">
          ${filterLink(
            undefined,
            'all',
            total,
          )}${filterLink('error', 'errors', counts.error)}${filterLink('warning', 'warnings', counts.warning)}${filterLink(
            'info',
            'info',
            counts.info,
          )}
        </ul>
        ${
          integrations.length > 1
            ? html`<form class="filters" method="get" action="/">
                ${severity ? html`<input type="hidden" name="severity" value="${severity}" />` : ''}
                <div>
                  <label for="a-integration">Integration</label
                  ><select id="a-integration" name="integrationId">
                    <option value="">any</option>
                    ${integrations.map(
                      (i) => html`<option value="${i.id}" ${integrationId === i.id ? html` selected` : ''}>${i.name}</option>`,
                    )}
                  </select>
                </div>
                <div><button type="submit">Filter</button></div>
              </form>`
            : ''
        }
        ${
          items.length === 0
            ? total === 0
              ? integrations.length === 0
                ? emptyState(
                    'Nothing needs attention yet: no Microsoft connection.',
                    html`Add a GDAP or direct connection on the <a href="/integrations">Integrations</a> page, then sync: what needs a
                      technician shows up here.`,
                  )
                : emptyState(
                    'Nothing needs attention.',
                    html`Every tenant synced, nothing waits for review and nothing expires soon. Browse the
                      <a href="/organizations">organizations</a>.`,
                  )
              : emptyState('Nothing of this severity.', html`<a href="/">Show everything</a>.`)
            : groups.map(
                (g) =>
                  html`<section class="attention" aria-labelledby="h-${g.severity}">
                    <h2 id="h-${g.severity}">${SEVERITY_LABEL[g.severity]} <span class="muted">(${g.items.length})</span></h2>
                    <ul class="attention-list">
                      ${g.items.map(
                        (item) =>
                          html`<li class="attention-item attention-${item.severity}" data-kind="${item.kind}">
                            <span class="badge attention-${SEVERITY_BADGE[item.severity]}">${item.severity}</span>
                            <div class="attention-text">
                              <p class="attention-message"><bdi>${item.message}</bdi></p>
                              <p class="attention-action"><strong>What to do:</strong> ${item.action}</p>
                            </div>
                            <div class="attention-fix">
                              ${fixLink(item)}${
                                item.organizationId ? html` <a href="/organizations/${item.organizationId}">Organization</a>` : ''
                              }
                            </div>
                          </li>`,
                      )}
                    </ul>
                  </section>`,
              )
        }
        <p class="muted small">
          <a href="${csvHref('/', { severity, integrationId })}">Export as CSV</a> · as JSON: <a href="/api/attention">/api/attention</a>.
        </p>`;
      return sendPage(reply, 200, layout({ title: 'Home', principal, section: 'home', body }));
    },
  );
};
