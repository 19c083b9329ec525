// GET /api/tenants/:id/mfa: a tenant's MFA coverage and each user's MFA registration (issue 17),
// or "not available" with the reason; ?format=csv (or Accept: text/csv) gives the users as CSV.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { tenantMfaReport, type UserMfaRow } from '../../reports/mfa.ts';
import { CsvFormatQuery, sendCsv, wantsCsv, type CsvColumn } from '../../docs/export.ts';
import { getTenant } from '../../stores/tenants.ts';
import { IdParams, Nullable } from '../schemas.ts';
import { GroupDepartmentQuery } from '../group-department-query.ts';

export const MFA_USER_COLUMNS: Array<CsvColumn<UserMfaRow>> = [
  { header: 'User', value: (u) => u.displayName },
  { header: 'User principal name', value: (u) => u.userPrincipalName },
  { header: 'Account enabled', value: (u) => u.accountEnabled },
  { header: 'User type', value: (u) => u.userType },
  { header: 'Department', value: (u) => u.department },
  { header: 'Admin', value: (u) => u.isAdmin },
  { header: 'MFA registered', value: (u) => u.registered },
  { header: 'MFA capable', value: (u) => u.capable },
  { header: 'Methods', value: (u) => u.methods },
  { header: 'Default method', value: (u) => u.defaultMethod },
  { header: 'Microsoft user id', value: (u) => u.userId },
];

export const MfaUserSchema = Type.Object({
  userId: Type.String(),
  displayName: Type.String(),
  userPrincipalName: Nullable(Type.String()),
  accountEnabled: Nullable(Type.Boolean()),
  userType: Nullable(Type.String()),
  department: Nullable(Type.String()),
  isAdmin: Type.Boolean(),
  mfaRegistered: Nullable(Type.Boolean({ description: 'null: the report has no row for this user yet' })),
  mfaCapable: Nullable(Type.Boolean()),
  methods: Type.Array(Type.String()),
  defaultMethod: Nullable(Type.String()),
});

const toApi = (u: UserMfaRow) => ({
  userId: u.userId,
  displayName: u.displayName,
  userPrincipalName: u.userPrincipalName,
  accountEnabled: u.accountEnabled,
  userType: u.userType,
  department: u.department,
  isAdmin: u.isAdmin,
  mfaRegistered: u.registered,
  mfaCapable: u.capable,
  methods: u.methods,
  defaultMethod: u.defaultMethod,
});

export const tenantMfaApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  app.get(
    '/api/tenants/:id/mfa',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['reports'],
        summary:
          "A tenant's MFA coverage (enabled member users with MFA registered) and each user's registration, " +
          'optionally of one group, department or name',
        params: IdParams,
        querystring: Type.Object({
          ...GroupDepartmentQuery,
          search: Type.Optional(Type.String({ maxLength: 200, description: 'Part of a name, user principal name or mail' })),
          ...CsvFormatQuery,
        }),
        response: {
          200: Type.Object({
            available: Type.Boolean(),
            reason: Nullable(
              Type.Union([Type.Literal('no_license'), Type.Literal('permission_missing'), Type.Literal('not_read_yet')], {
                description:
                  'why MFA registration cannot be read: no Entra ID P1/P2, docsync lacks the permission or role, or no sync read it yet',
              }),
            ),
            message: Nullable(Type.String()),
            action: Nullable(Type.String()),
            coverage: Nullable(
              Type.Number({ minimum: 0, maximum: 1, description: 'registered ÷ enabled member users; null when not available' }),
            ),
            enabledMembers: Type.Integer(),
            registered: Type.Integer(),
            adminsWithoutMfa: Type.Integer(),
            items: Type.Array(MfaUserSchema, { description: 'admins without MFA first, then users without MFA, then the rest' }),
          }),
        },
      },
    },
    async (request, reply) => {
      const tenant = await getTenant(db, request.params.id);
      const { group, department, search } = request.query;
      // Narrowed, the coverage figures are those of the users listed.
      const report = await tenantMfaReport(db, tenant.id, { group: group || undefined, department: department || undefined, search });
      if (wantsCsv(request)) {
        return sendCsv(reply, 'mfa', ctx.clock.now(), MFA_USER_COLUMNS, async (page, pageSize) =>
          report.users.slice((page - 1) * pageSize, page * pageSize),
        );
      }
      const a = report.availability;
      return {
        available: a.available,
        reason: a.available ? null : a.reason,
        message: a.available ? null : a.message,
        action: a.available ? null : a.action,
        coverage: report.coverage,
        enabledMembers: report.enabledMembers,
        registered: report.registered,
        adminsWithoutMfa: report.adminsWithoutMfa,
        items: report.users.map(toApi),
      };
    },
  );
};
