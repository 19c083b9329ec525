// Organizations over the API: the list (search, sort, counts; also the pickers' type-ahead), one
// organization's documentation, its contacts and configurations, and edits by hand
// (src/docs/organization-directory.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import {
  createConfiguration,
  createContact,
  listOrganizationConfigurations,
  listOrganizationContacts,
  listOrganizations,
  ORGANIZATION_SORTS,
  organizationDetail,
  updateConfiguration,
  updateContact,
} from '../../docs/organization-directory.ts';
import { actionContext } from './tenant-matches.ts';
import { GroupDepartmentQuery, groupDepartmentFilter as contactFilter } from '../group-department-query.ts';
import { IdParams, Nullable, PageQuery, Paged, Timestamp } from '../schemas.ts';
import { ConfigurationListQuerySchema, configurationListQuery, exportPages } from '../tenant-list-query.ts';
import { CsvFormatQuery, sendCsv, wantsCsv } from '../../docs/export.ts';
import { CONFIGURATION_COLUMNS, CONTACT_COLUMNS, ORGANIZATION_COLUMNS } from '../csv-columns.ts';

const Text = (maxLength: number) => Nullable(Type.String({ maxLength }));
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { maxItems: 50 });
const Emails = Type.Array(Type.String({ maxLength: 320 }), { maxItems: 50 });

export const OrganizationListItemSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  domains: Type.Array(Type.String()),
  tenantCount: Type.Integer(),
  contactCount: Type.Integer(),
  configurationCount: Type.Integer(),
  reviewCount: Type.Integer({ description: 'Users and devices of its tenants waiting for review' }),
  health: Nullable(Type.String({ description: 'The worst health of its tenants; null without a tenant' })),
  lastSyncAt: Nullable(Timestamp),
});

export const ContactSchema = Type.Object({
  id: Type.String(),
  firstName: Nullable(Type.String()),
  lastName: Nullable(Type.String()),
  title: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  phoneExtension: Nullable(Type.String({ description: 'docsync only: never written by a sync' })),
  notes: Nullable(Type.String({ description: 'docsync only: never written by a sync' })),
  tags: Type.Array(Type.String(), { description: 'docsync only: never written by a sync' }),
  emails: Type.Array(Type.String()),
  linkedToMicrosoft: Type.Boolean({ description: 'true: names, title, phone and emails come from Microsoft and are read-only here' }),
  inMicrosoft: Type.Boolean(),
  tenantId: Nullable(Type.String()),
  microsoftUserId: Nullable(Type.String()),
  accountEnabled: Nullable(Type.Boolean()),
  lastSignInAt: Nullable(Type.String()),
  licenses: Type.Array(Type.String()),
  userPrincipalName: Nullable(Type.String()),
});

export const ConfigurationSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  serialNumber: Nullable(Type.String()),
  manufacturer: Nullable(Type.String()),
  model: Nullable(Type.String()),
  operatingSystem: Nullable(Type.String()),
  complianceState: Nullable(Type.String()),
  lastCheckInAt: Nullable(Timestamp),
  notes: Nullable(Type.String({ description: 'docsync only: never written by a sync' })),
  tags: Type.Array(Type.String(), { description: 'docsync only: never written by a sync' }),
  linkedToMicrosoft: Type.Boolean({
    description: 'true: name, serial number, manufacturer and model come from Intune and are read-only here',
  }),
  inMicrosoft: Type.Boolean(),
  tenantId: Nullable(Type.String()),
  intuneDeviceId: Nullable(Type.String()),
  contact: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
});

const Problem = Type.Object({ level: Type.String(), code: Type.String(), message: Type.String(), action: Nullable(Type.String()) });
export const OrganizationDetailSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  domains: Type.Array(Type.String(), { description: "The organization's domains and its tenants' verified domains" }),
  createdAt: Timestamp,
  tenants: Type.Array(
    Type.Object({
      id: Type.String({ description: 'docsync tenant id' }),
      tenantId: Type.String({ description: 'Microsoft tenant GUID' }),
      displayName: Type.String(),
      defaultDomain: Nullable(Type.String()),
      integrationId: Type.String(),
      integrationName: Type.String(),
      accessKind: Type.Union([Type.Literal('gdap'), Type.Literal('dap'), Type.Literal('direct')], {
        description: 'how docsync reaches the tenant: a partner relationship (gdap, dap) or its own sign-in (direct)',
      }),
      health: Type.String(),
      active: Type.Boolean(),
      lastSyncAt: Nullable(Timestamp),
      relationshipEndAt: Nullable(Timestamp),
      problems: Type.Array(Problem),
    }),
  ),
  lastSyncAt: Nullable(Timestamp),
  counts: Type.Object({
    contacts: Type.Integer(),
    contactsInMicrosoft: Type.Integer(),
    configurations: Type.Integer(),
    reviews: Type.Integer(),
  }),
  licenses: Type.Array(
    Type.Object({
      skuId: Type.String(),
      name: Type.String(),
      total: Type.Integer(),
      assigned: Type.Integer(),
      available: Type.Integer(),
      free: Type.Boolean(),
    }),
  ),
  reviews: Type.Array(
    Type.Object({
      kind: Type.String(),
      tenantId: Type.String(),
      sourceId: Type.String(),
      label: Type.String(),
      candidates: Type.Integer(),
      url: Type.String(),
    }),
  ),
  contacts: Paged(ContactSchema),
  configurations: Paged(ConfigurationSchema),
});

const ListQuery = Type.Object({ ...PageQuery, search: Type.Optional(Type.String({ maxLength: 200 })), ...CsvFormatQuery });
const ContactListQuery = Type.Object({ ...ListQuery.properties, ...GroupDepartmentQuery });
const ContactInput = Type.Object({
  firstName: Type.Optional(Text(200)),
  lastName: Type.Optional(Text(200)),
  title: Type.Optional(Text(200)),
  phone: Type.Optional(Text(60)),
  emails: Type.Optional(Emails),
  phoneExtension: Type.Optional(Text(20)),
  notes: Type.Optional(Text(10_000)),
  tags: Type.Optional(Tags),
});
const ConfigurationInput = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 200 })),
  serialNumber: Type.Optional(Text(200)),
  manufacturer: Type.Optional(Text(200)),
  model: Type.Optional(Text(200)),
  notes: Type.Optional(Text(10_000)),
  tags: Type.Optional(Tags),
});

export const organizationApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  const deps = { db, clock: ctx.clock };
  const tags = ['organizations'];

  app.get(
    '/api/organizations',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary:
          'Organizations with their counts: search (name or domain; case and accents do not matter), sort, pages; also the type-ahead of ' +
          'the pickers',
        querystring: Type.Object({
          search: Type.Optional(Type.String({ maxLength: 200 })),
          sort: Type.Union(
            ORGANIZATION_SORTS.map((s) => Type.Literal(s)),
            { default: 'name', description: 'A leading "-" sorts descending' },
          ),
          page: PageQuery.page,
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 20, description: 'Organizations per page' }),
          ...CsvFormatQuery,
        }),
        response: {
          200: Type.Object({
            items: Type.Array(OrganizationListItemSchema),
            total: Type.Integer(),
            page: Type.Integer(),
            limit: Type.Integer(),
          }),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (wantsCsv(request))
        return sendCsv(
          reply,
          'organizations',
          ctx.clock.now(),
          ORGANIZATION_COLUMNS,
          async (page, pageSize) => (await listOrganizations(db, { search: q.search, sort: q.sort, page, pageSize })).items,
        );
      return {
        ...(await listOrganizations(db, { search: q.search, sort: q.sort, page: q.page, pageSize: q.limit })),
        page: q.page,
        limit: q.limit,
      };
    },
  );

  app.get(
    '/api/organizations/:id',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary:
          "One organization's documentation: tenants and their health, domains, licenses, last sync, review queue, first page of " +
          'contacts and configurations',
        params: IdParams,
        response: { 200: OrganizationDetailSchema },
      },
    },
    async (request) => {
      const first = { page: 1, pageSize: 50 };
      const [detail, contacts, configurations] = await Promise.all([
        organizationDetail(db, ctx.clock, request.params.id),
        listOrganizationContacts(db, request.params.id, first),
        listOrganizationConfigurations(db, request.params.id, first),
      ]);
      return { ...detail, contacts: { ...contacts, ...first }, configurations: { ...configurations, ...first } };
    },
  );

  app.get(
    '/api/organizations/:id/contacts',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['contacts'],
        summary:
          "An organization's contacts with the Microsoft overlay columns (paged; search by name, email, UPN or phone; " +
          "filter by a tenant's group or the users' department)",
        params: IdParams,
        querystring: ContactListQuery,
        response: { 200: Paged(ContactSchema) },
      },
    },
    async (request, reply) => {
      if (wantsCsv(request)) {
        await organizationDetail(db, ctx.clock, request.params.id); // 404 before the download starts
        return sendCsv(
          reply,
          'contacts',
          ctx.clock.now(),
          CONTACT_COLUMNS,
          async (page, pageSize) =>
            (await listOrganizationContacts(db, request.params.id, { ...contactFilter(request.query), page, pageSize })).items,
        );
      }
      return {
        ...(await listOrganizationContacts(db, request.params.id, { ...request.query, ...contactFilter(request.query) })),
        page: request.query.page,
        pageSize: request.query.pageSize,
      };
    },
  );

  app.get(
    '/api/organizations/:id/configurations',
    {
      config: { access: 'signedIn' },
      schema: {
        tags: ['configurations'],
        summary: "An organization's configurations (paged; search by name or serial number)",
        description:
          'Filters, sort and order apply to the JSON and the CSV export (format=csv) alike. page=N reads by offset; for deep pages ' +
          'follow nextCursor / prevCursor (keyset paging). An unknown sort field or filter value answers 400 validation_failed.',
        params: IdParams,
        querystring: ConfigurationListQuerySchema,
        response: {
          200: Type.Intersect([
            Paged(ConfigurationSchema),
            Type.Object({
              nextCursor: Nullable(Type.String({ description: 'pass as cursor for the next page; null on the last page' })),
              prevCursor: Nullable(Type.String({ description: 'pass as cursor for the page before; null on the first page' })),
            }),
          ]),
        },
      },
    },
    async (request, reply) => {
      const query = configurationListQuery(request.query);
      const context = { now: ctx.clock.now() };
      if (wantsCsv(request)) {
        await organizationDetail(db, ctx.clock, request.params.id); // 404 before the download starts
        return sendCsv(
          reply,
          'configurations',
          context.now,
          CONFIGURATION_COLUMNS,
          exportPages(query, (q) => listOrganizationConfigurations(db, request.params.id, q, context)),
        );
      }
      return {
        ...(await listOrganizationConfigurations(db, request.params.id, query, context)),
        page: query.page,
        pageSize: query.pageSize,
      };
    },
  );

  app.post(
    '/api/organizations/:id/contacts',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['contacts'],
        summary: 'Add a contact by hand',
        params: IdParams,
        body: ContactInput,
        response: { 201: ContactSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createContact(deps, request.params.id, request.body, actionContext(request))),
  );

  app.patch(
    '/api/contacts/:id',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['contacts'],
        summary:
          'Edit a contact. While it is linked to a Microsoft user, only notes, phoneExtension and tags (409 for the fields Microsoft ' +
          'fills)',
        params: IdParams,
        body: Type.Object(ContactInput.properties, { minProperties: 1 }),
        response: { 200: ContactSchema },
      },
    },
    async (request) => updateContact(deps, request.params.id, request.body, actionContext(request)),
  );

  app.post(
    '/api/organizations/:id/configurations',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['configurations'],
        summary: 'Add a configuration by hand',
        params: IdParams,
        body: ConfigurationInput,
        response: { 201: ConfigurationSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createConfiguration(deps, request.params.id, request.body, actionContext(request))),
  );

  app.patch(
    '/api/configurations/:id',
    {
      config: { access: 'technician' },
      schema: {
        tags: ['configurations'],
        summary: 'Edit a configuration. While it is linked to an Intune device, only notes and tags (409 for the fields Intune fills)',
        params: IdParams,
        body: Type.Object(ConfigurationInput.properties, { minProperties: 1 }),
        response: { 200: ConfigurationSchema },
      },
    },
    async (request) => updateConfiguration(deps, request.params.id, request.body, actionContext(request)),
  );
};
