// TypeBox pieces shared by the API routes: they validate input, serialize output and feed
// the OpenAPI document.
import { Type, type TSchema } from '@sinclair/typebox';
import { GUID_PATTERN } from '../ids.ts';

export const Uuid = Type.String({ pattern: GUID_PATTERN, description: 'UUID' });
export const IdParams = Type.Object({ id: Uuid });
export const Timestamp = Type.String({ description: 'ISO 8601 date-time' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * Paging, for every paged route and page. Ajv lets "Infinity" and "1e309" through an integer
 * with a maximum; web/input-guard.ts refuses non-finite and unsafe numbers for every route.
 */
export const PageQuery = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
};

/** A row id to continue after (sync log polling): a bigint, kept within exact JavaScript integers. */
export const AfterId = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), action: Type.Optional(Type.String()), requestId: Type.String() }) },
  { $id: 'ErrorResponse', description: 'Every error: a code for programs, a sentence for people, the request id for support.' },
);

export const Paged = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });

export const DecisionSnapshotSchema = Type.Object({
  state: Type.String(),
  targetId: Nullable(Type.String()),
  rule: Nullable(Type.String()),
  suggestions: Type.Array(Type.Object({ organizationId: Type.String(), score: Type.Number() })),
  candidates: Type.Array(Type.String()),
  reason: Nullable(Type.String()),
  decidedBy: Type.String(),
  decidedByTechnician: Type.Boolean(),
});

/** What a decision changed at once (issue 15): the writes, or why it waits for a sync. */
export const DecisionAppliedSchema = Type.Union([
  Type.Object({
    applied: Type.Literal(true),
    writes: Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() }),
    decisions: Type.Object({
      match: Type.Integer(),
      create: Type.Integer(),
      review: Type.Integer(),
      pending: Type.Integer(),
      skip: Type.Integer(),
    }),
  }),
  Type.Object({
    applied: Type.Literal(false),
    reason: Type.Union([Type.Literal('sync_running'), Type.Literal('not_synced'), Type.Literal('not_matched'), Type.Literal('ignored')]),
    message: Type.String(),
  }),
]);
