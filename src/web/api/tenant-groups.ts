// A tenant's groups (issue 17): GET /api/tenants/:id/groups (JSON, or CSV with ?format=csv), and
// POST …/groups/:groupId/exclude | include, which edit the integration's group exclusions.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { tenantGroupsReport, withGroupExcluded, type TenantGroupRow } from '../../reports/groups.ts';
import { CsvFormatQuery, sendCsv, wantsCsv, type CsvColumn } from '../../docs/export.ts';
import { NotFound } from '../../errors.ts';
import { actionContext } from './tenant-matches.ts';
import { getTenant } from '../../stores/tenants.ts';
import { updateIntegration } from '../services/integrations.ts';
import { IdParams, Nullable, Uuid } from '../schemas.ts';

export const GROUP_COLUMNS: Array<CsvColumn<TenantGroupRow>> = [
  { header: 'Group', value: (g) => g.displayName },
  { header: 'Kind', value: (g) => g.type },
  { header: 'Mail', value: (g) => g.mail },
  { header: 'Users', value: (g) => g.userCount },
  { header: 'Nested groups', value: (g) => g.nestedGroupCount },
  { header: 'Excluded', value: (g) => g.excluded },
  { header: 'Description', value: (g) => g.description },
  { header: 'Microsoft group id', value: (g) => g.groupId },
];

const GroupSchema = Type.Object({
  groupId: Type.String(),
  displayName: Type.String(),
  description: Nullable(Type.String()),
  type: Type.Union(
    ['microsoft365', 'security', 'mail_security', 'distribution', 'other'].map((t) => Type.Literal(t)),
    {
      description: 'from groupTypes (Unified), securityEnabled and mailEnabled',
    },
  ),
  mail: Nullable(Type.String()),
  userCount: Type.Integer({ description: 'users in the group, nested groups included, each once' }),
  nestedGroupCount: Type.Integer(),
  excluded: Type.Boolean({ description: "the integration's group exclusions name this group" }),
});
const GroupParams = Type.Object({ id: Uuid, groupId: Type.String({ minLength: 1, maxLength: 64 }) });

export const tenantGroupApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  const deps = { db, secrets: ctx.secrets, clock: ctx.clock };

  app.get(
    '/api/tenants/:id/groups',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['reports'],
        summary: "A tenant's groups: kind, users (nested groups included), excluded or not",
        params: IdParams,
        querystring: Type.Object({ ...CsvFormatQuery }),
        response: { 200: Type.Object({ items: Type.Array(GroupSchema), excludedGroupIds: Type.Array(Type.String()) }) },
      },
    },
    async (request, reply) => {
      const report = await tenantGroupsReport(db, await getTenant(db, request.params.id));
      if (wantsCsv(request))
        return sendCsv(reply, 'groups', ctx.clock.now(), GROUP_COLUMNS, async (page, size) =>
          report.items.slice((page - 1) * size, page * size),
        );
      return report;
    },
  );

  for (const verb of ['exclude', 'include'] as const) {
    app.post(
      `/api/tenants/:id/groups/:groupId/${verb}`,
      {
        config: { access: 'administrator' },
        schema: {
          tags: ['reports'],
          summary:
            verb === 'exclude'
              ? "Exclude the group's members (nested groups included) from the documentation of the tenant's integration"
              : 'Re-include a group excluded before: its members are documented again',
          params: GroupParams,
          response: { 200: Type.Object({ groupId: Type.String(), excluded: Type.Boolean(), excludedGroupIds: Type.Array(Type.String()) }) },
        },
      },
      async (request) => {
        const tenant = await getTenant(db, request.params.id);
        const { items, excludedGroupIds } = await tenantGroupsReport(db, tenant);
        const group = items.find((g) => g.groupId.toLowerCase() === request.params.groupId.toLowerCase());
        const listed = excludedGroupIds.some((id) => id.toLowerCase() === request.params.groupId.toLowerCase());
        // Exclude only what the tenant's groups list shows; re-include whatever is excluded (a group gone since).
        if (!group && (verb === 'exclude' || !listed)) throw new NotFound('No such group in this tenant.');
        const groupId = group?.groupId ?? request.params.groupId;
        const next = withGroupExcluded(excludedGroupIds, groupId, verb === 'exclude');
        await updateIntegration(deps, tenant.integration_id, { settings: { excludeGroupIds: next } }, actionContext(request));
        return { groupId, excluded: verb === 'exclude', excludedGroupIds: next };
      },
    );
  }
};
