// The filters of a run's log, the same on the page (a GET form, so an empty choice means "all")
// and on GET /api/sync-runs/:id.
import { Type } from '@sinclair/typebox';
import type { LogLevel } from '../db/schema.ts';
import type { SyncLogFilter } from '../stores/sync-log-view.ts';
import { Uuid } from './schemas.ts';

export const LogFilterQuery = {
  level: Type.Optional(
    Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('error'), Type.Literal('')], {
      description: 'Only log lines of this level (empty: every level)',
    }),
  ),
  tenantId: Type.Optional(
    Type.Union([Uuid, Type.Literal('')], { description: "Only log lines about this tenant (the tenant's docsync id; empty: all)" }),
  ),
};

/** The filter a request's query asks for (empty choices dropped). */
export function logFilter(query: { level?: LogLevel | ''; tenantId?: string }): SyncLogFilter {
  return {
    ...(query.level ? { level: query.level } : {}),
    ...(query.tenantId ? { tenantId: query.tenantId } : {}),
  };
}
