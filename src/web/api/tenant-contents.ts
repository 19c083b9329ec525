// One tenant's users (contact decisions + Microsoft overlay), devices and licenses over the API.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import {
  decideContact,
  listTenantDevices,
  listTenantUsers,
  organizationContacts,
  tenantLicenses,
  tenantUserDetail,
} from '../services/tenant-contents.ts';
import { actionContext } from './tenant-matches.ts';
import { DecisionAppliedSchema, DecisionSnapshotSchema, IdParams, Nullable, Paged, Timestamp, Uuid } from '../schemas.ts';
import { sendCsv, wantsCsv } from '../../docs/export.ts';
import { DeviceListQuerySchema, deviceListQuery, exportPages, UserListQuerySchema, userListQuery } from '../tenant-list-query.ts';
import { DEVICE_COLUMNS, USER_COLUMNS } from '../csv-columns.ts';
import { getTenant } from '../../stores/tenants.ts';
import { applyDecisionsNow } from '../../sync/apply-decisions.ts';
import { userMfa } from '../../reports/mfa.ts';

const ListCursors = Type.Object({
  nextCursor: Nullable(Type.String({ description: 'pass as cursor for the next page; null on the last page' })),
  prevCursor: Nullable(Type.String({ description: 'pass as cursor for the page before; null on the first page' })),
});
const LIST_DESCRIPTION =
  'Filters, sort and order apply to the JSON, the counts and the CSV export (format=csv) alike. page=N reads by offset; ' +
  'for deep pages follow nextCursor / prevCursor (keyset paging). An unknown sort field or filter value answers 400 validation_failed.';
const Candidate = Type.Object({
  id: Type.String(),
  name: Type.String(),
  emails: Type.Array(Type.String()),
  title: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  devices: Type.Array(Type.String(), { description: 'names of the configurations related to the contact (at most 10)' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  url: Type.String({ description: "the page of the contact's record" }),
});
const MailboxKind = Nullable(
  Type.Union([Type.Literal('shared'), Type.Literal('room'), Type.Literal('equipment')], {
    description: "a room, equipment or shared mailbox (the mailbox report's recipient type); null for a person's or unknown",
  }),
);
const UserSchema = Type.Object({
  userId: Type.String(),
  displayName: Type.String(),
  userPrincipalName: Nullable(Type.String()),
  mail: Nullable(Type.String()),
  accountEnabled: Nullable(Type.Boolean()),
  department: Nullable(Type.String()),
  jobTitle: Nullable(Type.String()),
  decision: Type.String(),
  rule: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  decidedByTechnician: Type.Boolean(),
  contact: Nullable(Candidate),
  candidates: Type.Array(Candidate),
  removedFromMicrosoft: Type.Boolean(),
  mailboxKind: MailboxKind,
});
const EvidenceSchema = Type.Object({
  source: Type.Union([Type.Literal('signIn'), Type.Literal('appActivity'), Type.Literal('deviceCheckIn')]),
  label: Type.String(),
  at: Type.String(),
});
const InactivitySchema = Type.Object({
  state: Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('disabled'), Type.Literal('unknown')]),
  inactiveDays: Type.Integer(),
  lastSeen: Nullable(EvidenceSchema),
  evidence: Type.Array(EvidenceSchema),
  missing: Type.Array(Type.Object({ source: Type.String(), reason: Type.String() })),
});
const OverlaySchema = Type.Object({
  userPrincipalName: Nullable(Type.String()),
  displayName: Nullable(Type.String()),
  userType: Nullable(Type.String()),
  accountEnabled: Nullable(Type.Boolean()),
  lastPasswordChangeAt: Nullable(Type.String()),
  signInActivityAvailable: Type.Boolean({
    description: 'false: the tenant has no Entra ID P1 or docsync lacks AuditLog.Read.All; lastSignInAt is then unknown, not "never"',
  }),
  lastSignInAt: Nullable(Type.String()),
  inactive: Nullable(Type.Boolean({ description: 'true only when inactivity.state is "inactive"' })),
  inactivity: Nullable(InactivitySchema),
  appActivity: Nullable(
    Type.Object({
      lastActivity: Nullable(Type.Record(Type.String(), Nullable(Type.String()))),
      email: Nullable(
        Type.Object({
          lastActivityDate: Nullable(Type.String()),
          sendCount: Nullable(Type.Number()),
          receiveCount: Nullable(Type.Number()),
          readCount: Nullable(Type.Number()),
          meetingCreatedCount: Nullable(Type.Number()),
          meetingInteractedCount: Nullable(Type.Number()),
          reportPeriod: Nullable(Type.Number()),
        }),
      ),
    }),
  ),
  licenses: Type.Array(Type.Object({ skuId: Type.String(), name: Type.String() })),
  mailbox: Nullable(
    Type.Object({
      storageUsedBytes: Nullable(Type.Number()),
      itemCount: Nullable(Type.Number()),
      quotaBytes: Nullable(Type.Number()),
      lastActivityDate: Nullable(Type.String()),
      hasArchive: Nullable(Type.Boolean()),
    }),
  ),
  devices: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      operatingSystem: Nullable(Type.String()),
      complianceState: Nullable(Type.String()),
      lastCheckInAt: Nullable(Type.String()),
    }),
  ),
  mfa: Type.Object(
    {
      available: Type.Boolean(),
      reason: Nullable(Type.String({ description: 'why not available: no Entra ID P1/P2, a permission missing, not read yet' })),
      registered: Nullable(Type.Boolean()),
      capable: Nullable(Type.Boolean()),
      isAdmin: Type.Boolean(),
      methods: Type.Array(Type.String()),
      defaultMethod: Nullable(Type.String()),
    },
    { description: 'MFA registration (reports/authenticationMethods/userRegistrationDetails)' },
  ),
});
const UserParams = Type.Object({ id: Uuid, userId: Type.String({ minLength: 1, maxLength: 200 }) });

export const tenantContentApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  const inactiveDays = ctx.config.sync.inactiveDays;
  const tags = ['contacts'];

  app.get(
    '/api/tenants/:id/users',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: "A tenant's users with their contact decision (paged)",
        params: IdParams,
        description: LIST_DESCRIPTION,
        querystring: UserListQuerySchema,
        response: {
          200: Type.Intersect([
            Paged(UserSchema),
            ListCursors,
            Type.Object({ counts: Type.Record(Type.String(), Type.Integer({ description: 'users per decision, other filters applied' })) }),
          ]),
        },
      },
    },
    async (request, reply) => {
      const query = userListQuery(request.query);
      const context = { now: ctx.clock.now(), inactiveDays };
      if (wantsCsv(request)) {
        await getTenant(db, request.params.id); // 404 before the download starts
        return sendCsv(
          reply,
          'users',
          context.now,
          USER_COLUMNS,
          exportPages(query, (q) => listTenantUsers(db, request.params.id, q, context)),
        );
      }
      return { ...(await listTenantUsers(db, request.params.id, query, context)), page: query.page, pageSize: query.pageSize };
    },
  );

  app.get(
    '/api/tenants/:id/users/:userId',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: 'One user with the Microsoft overlay',
        params: UserParams,
        response: { 200: Type.Intersect([UserSchema, Type.Object({ overlay: OverlaySchema })]) },
      },
    },
    async (request) => {
      const user = await tenantUserDetail(db, ctx.clock, inactiveDays, request.params.id, request.params.userId);
      return { ...user, overlay: { ...user.overlay, mfa: await userMfa(db, request.params.id, request.params.userId) } };
    },
  );

  app.post(
    '/api/tenants/:id/users/:userId/decision',
    {
      config: { access: 'technician' },
      schema: {
        tags,
        summary: 'Resolve a review or change a match (match a contact), ask for a new contact, exclude the user, or undo',
        params: UserParams,
        body: Type.Union([
          Type.Object({
            action: Type.Literal('match'),
            contactId: Uuid,
            confirm: Type.Optional(
              Type.Boolean({ description: 'true: match even though the contact already belongs to another Microsoft user' }),
            ),
          }),
          Type.Object({ action: Type.Literal('create') }),
          Type.Object({ action: Type.Literal('exclude') }),
          Type.Object({ action: Type.Literal('undo') }),
        ]),
        description:
          'Matching a contact that already belongs to another Microsoft user answers 409 with the code ' +
          'contact_belongs_to_another_user and changes nothing; send "confirm": true to match it anyway.',
        response: { 200: Type.Object({ decision: Nullable(DecisionSnapshotSchema), applied: DecisionAppliedSchema }) },
      },
    },
    async (request) => ({
      decision: await decideContact(
        { db, clock: ctx.clock },
        request.params.id,
        request.params.userId,
        request.body,
        actionContext(request),
      ),
      // A changed or resolved match is written at once, from the staged Microsoft data.
      applied: await applyDecisionsNow({ db, clock: ctx.clock, config: ctx.config }, request.params.id),
    }),
  );

  app.get(
    '/api/tenants/:id/contacts',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: "Contacts of the tenant's organization (type-ahead)",
        params: IdParams,
        querystring: Type.Object({
          search: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(Candidate) }) },
      },
    },
    async (request) => ({ items: await organizationContacts(db, request.params.id, request.query.search ?? '', request.query.limit) }),
  );

  app.get(
    '/api/tenants/:id/devices',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['configurations'],
        summary: "A tenant's Intune devices with their configuration and related contact (paged)",
        params: IdParams,
        description: LIST_DESCRIPTION,
        querystring: DeviceListQuerySchema,
        response: {
          200: Type.Intersect([
            ListCursors,
            Paged(
              Type.Object({
                deviceId: Type.String(),
                name: Type.String(),
                serialNumber: Nullable(Type.String()),
                operatingSystem: Nullable(Type.String()),
                complianceState: Nullable(Type.String()),
                lastCheckInAt: Nullable(Type.String()),
                decision: Type.String(),
                rule: Nullable(Type.String()),
                configuration: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
                relatedContact: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
                primaryUser: Nullable(Type.String()),
              }),
            ),
          ]),
        },
      },
    },
    async (request, reply) => {
      const query = deviceListQuery(request.query);
      const context = { now: ctx.clock.now() };
      if (wantsCsv(request)) {
        await getTenant(db, request.params.id); // 404 before the download starts
        return sendCsv(
          reply,
          'devices',
          context.now,
          DEVICE_COLUMNS,
          exportPages(query, (q) => listTenantDevices(db, request.params.id, q, context)),
        );
      }
      return { ...(await listTenantDevices(db, request.params.id, query, context)), page: query.page, pageSize: query.pageSize };
    },
  );

  app.get(
    '/api/tenants/:id/licenses',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['licenses'],
        summary: 'Licenses: per SKU total, assigned and unused; licensed users without a recent sign-in',
        params: IdParams,
        response: {
          200: Type.Object({
            skus: Type.Array(
              Type.Object({
                skuId: Type.String(),
                partNumber: Nullable(Type.String()),
                name: Type.String(),
                capabilityStatus: Nullable(Type.String()),
                total: Type.Integer(),
                assigned: Type.Integer(),
                available: Type.Integer(),
                suspended: Type.Integer(),
                warning: Type.Integer(),
                free: Type.Boolean({ description: 'free or trial: left out of the totals' }),
              }),
            ),
            totals: Type.Object({ total: Type.Integer(), assigned: Type.Integer(), available: Type.Integer() }),
            inactiveLicensedUsers: Type.Array(
              Type.Object({
                userId: Type.String(),
                displayName: Type.String(),
                userPrincipalName: Nullable(Type.String()),
                lastSignInAt: Nullable(Timestamp),
                lastSeenAt: Nullable(Type.String({ description: 'the latest sign-in, app activity or device check-in' })),
                lastSeenBy: Nullable(Type.String()),
                licenses: Type.Array(Type.String()),
              }),
            ),
            disabledLicensedUsers: Type.Array(
              Type.Object({
                userId: Type.String(),
                displayName: Type.String(),
                userPrincipalName: Nullable(Type.String()),
                licenses: Type.Array(Type.String()),
              }),
            ),
            signInActivityAvailable: Type.Boolean(),
            inactiveDays: Type.Integer(),
          }),
        },
      },
    },
    async (request) => tenantLicenses(db, ctx.clock, inactiveDays, request.params.id),
  );
};
