// "Test connection" for one tenant (issue 15): POST /api/tenants/:id/test-connection answers
// { checks: [ { permission, feature, ok, status, message } ] }; the integration page's tenant rows
// post a form (CSRF token in it, works without script) to /tenants/:id/test-connection, which
// shows the same checks as a page. Each test is audited with its outcome per permission.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/schema.ts';
import { NotFound } from '../errors.ts';
import { recordAudit, type ActionContext } from '../stores/audit.ts';
import { findTenantWithIntegrationName } from '../stores/tenants.ts';
import type { Clock } from '../time.ts';
import { testTenantConnection, type ConnectionCheck } from '../microsoft/connection-test.ts';
import type { GraphClientFactory } from '../microsoft/graph-client.ts';
import { requirePrincipal } from './guards.ts';
import { html, name, type SafeHtml } from './html.ts';
import { IdParams } from './schemas.ts';
import { actionContext } from './api/tenant-matches.ts';
import { layout } from './pages/layout.ts';
import { sendPage } from './pages/account-pages.ts';

interface TestedTenant {
  id: string;
  displayName: string;
  integrationId: string;
  integrationName: string;
  checks: ConnectionCheck[];
}

async function testConnection(
  deps: { db: Kysely<Database>; clock: Clock; graph: GraphClientFactory },
  tenantId: string,
  context: ActionContext,
): Promise<TestedTenant> {
  const tenant = await findTenantWithIntegrationName(deps.db, tenantId);
  if (!tenant) throw new NotFound('No such tenant.');
  const checks = await testTenantConnection(deps.graph, {
    integrationId: tenant.integration_id,
    microsoftTenantId: tenant.microsoft_tenant_id,
  });
  await recordAudit(deps.db, {
    actor: context.actor,
    action: 'tenant.test_connection',
    subjectType: 'tenant',
    subjectId: tenant.id,
    before: null,
    after: { checks: checks.map((c) => ({ permission: c.permission, feature: c.feature, status: c.status })) },
    requestId: context.requestId,
    at: deps.clock.now(),
  });
  return {
    id: tenant.id,
    displayName: tenant.display_name,
    integrationId: tenant.integration_id,
    integrationName: tenant.integration_name,
    checks,
  };
}

const CheckSchema = Type.Object({
  permission: Type.String({ description: 'The delegated Graph permission the read needs, e.g. User.Read.All' }),
  feature: Type.String({ description: 'What docsync reads with it' }),
  ok: Type.Boolean(),
  status: Type.Union(
    [
      Type.Literal('ok'),
      Type.Literal('permission_missing'),
      Type.Literal('license_missing'),
      Type.Literal('throttled'),
      Type.Literal('error'),
    ],
    { description: 'permission_missing: Microsoft answered 403 (the message names the scope and the GDAP role that grants it)' },
  ),
  message: Type.String({ description: "What Microsoft said and what to do, in words; Microsoft's own message on an error" }),
});

const STATUS_WORDS: Record<ConnectionCheck['status'], string> = {
  ok: 'OK',
  permission_missing: 'missing permission',
  license_missing: 'licence missing',
  throttled: 'throttled',
  error: 'error',
};
const STATUS_BADGE: Record<ConnectionCheck['status'], string> = {
  ok: 'succeeded',
  permission_missing: 'failed',
  license_missing: 'partial',
  throttled: 'partial',
  error: 'failed',
};

/** "DeviceManagementManagedDevices.Read.All" may wrap at its dots on a narrow screen, never inside a word. */
function breakableScope(scope: string): SafeHtml {
  return html`${scope.split('.').map((part, i) => (i === 0 ? html`${part}` : html`.<wbr />${part}`))}`;
}

function resultBody(tested: TestedTenant): SafeHtml {
  const failing = tested.checks.filter((c) => !c.ok).length;
  return html`<p>
      <a href="/integrations/${tested.integrationId}">← ${name(tested.integrationName)}</a> ·
      <a href="/tenants/${tested.id}/contacts">${name(tested.displayName)}</a>
    </p>
    <h1>Connection test of ${name(tested.displayName)}</h1>
    <p role="status">
      ${failing === 0 ? 'Every permission docsync needs works in this tenant.' : `${failing} of ${tested.checks.length} reads failed.`} One
      read per permission, just now, through docsync's Microsoft sign-in.
    </p>
    <div class="table-scroll" role="region" aria-label="Connection test results" tabindex="0">
      <table class="connection-test">
        <caption class="visually-hidden">
          One Microsoft Graph read per permission
        </caption>
        <thead>
          <tr>
            <th scope="col">Permission · what docsync reads</th>
            <th scope="col">Result</th>
            <th scope="col">What Microsoft said · what to do</th>
          </tr>
        </thead>
        <tbody>
          ${tested.checks.map(
            (c) =>
              html`<tr data-status="${c.status}">
                <td><code>${breakableScope(c.permission)}</code><br /><span class="muted">${c.feature}</span></td>
                <td><span class="badge state-${STATUS_BADGE[c.status]}">${STATUS_WORDS[c.status]}</span></td>
                <td class="said">${c.message}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

/** The button on a tenant row: a plain form post with the session's CSRF token. */
export function testConnectionForm(tenantId: string, tenantName: string, csrfToken: string): SafeHtml {
  return html`<form method="post" action="/tenants/${tenantId}/test-connection" class="inline">
    <input type="hidden" name="_csrf" value="${csrfToken}" /><button type="submit" class="secondary">
      Test connection<span class="visually-hidden"> ${tenantName.slice(0, 200)}</span>
    </button>
  </form>`;
}

export const tenantConnectionRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock, graph: ctx.microsoft.graph };

  app.post(
    '/api/tenants/:id/test-connection',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['tenants'],
        summary: 'Test connection: one Graph read per permission docsync needs in this tenant (audited)',
        params: IdParams,
        response: { 200: Type.Object({ checks: Type.Array(CheckSchema) }) },
      },
    },
    async (request) => ({ checks: (await testConnection(deps, request.params.id, actionContext(request))).checks }),
  );

  app.post(
    '/tenants/:id/test-connection',
    {
      config: { access: 'technician', page: true },
      schema: { params: IdParams, body: Type.Optional(Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) })) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tested = await testConnection(deps, request.params.id, actionContext(request));
      return sendPage(reply, 200, layout({ title: 'Connection test', principal, section: 'integrations', body: resultBody(tested) }));
    },
  );
};
