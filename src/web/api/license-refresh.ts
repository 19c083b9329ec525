// "Refresh licences now" for one tenant (issue 17): POST /api/tenants/:id/licenses/refresh runs
// the small licence sync (src/sync/license-refresh.ts) in the request and answers 200 with what
// changed. It takes seconds (two Graph listings), so the page reloads with the new figures; the
// run row it leaves is in the tenant's sync runs like a "sync now".
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { refreshTenantLicenses } from '../../sync/license-refresh.ts';
import { recordAudit } from '../../stores/audit.ts';
import { actionContext } from './tenant-matches.ts';
import { IdParams } from '../schemas.ts';

const Count = Type.Integer({ minimum: 0 });
const LicenseRefreshResult = Type.Object({
  runId: Type.String({ description: 'The sync run row of this refresh (its log line is there)' }),
  status: Type.Literal('succeeded'),
  skus: Type.Object({ added: Count, changed: Count, removed: Count, unchanged: Count }),
  users: Type.Object({ changed: Count, unchanged: Count }, { description: 'Users whose assignedLicenses changed or not' }),
  rowsWritten: Type.Integer({ minimum: 0, description: '0 when nothing changed in Microsoft' }),
  summary: Type.String(),
});

export const licenseRefreshApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/tenants/:id/licenses/refresh',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['reports'],
        summary: "Refresh licences now: re-read one tenant's subscribed SKUs and users' assigned licences",
        description:
          'Reads /subscribedSkus and every user’s assignedLicenses, writes only what changed, and answers when done. ' +
          'A failed read changes nothing (502/503 with the reason); a tenant being synced answers 409.',
        params: IdParams,
        response: { 200: LicenseRefreshResult },
      },
    },
    async (request) => {
      const context = actionContext(request);
      const { runner } = ctx.microsoft;
      const result = await refreshTenantLicenses(
        { db: ctx.database.db, clock: ctx.clock, config: ctx.config, sources: runner.sources, onPartnerFailure: runner.onPartnerFailure },
        { tenantId: request.params.id, requestedBy: context.actor.label, leaseOwner: `web:${request.id}` },
      );
      await recordAudit(ctx.database.db, {
        actor: context.actor,
        action: 'licenses.refresh',
        subjectType: 'tenant',
        subjectId: request.params.id,
        before: null,
        after: { runId: result.runId, rowsWritten: result.rowsWritten },
        requestId: context.requestId,
        at: ctx.clock.now(),
      });
      return result;
    },
  );
};
