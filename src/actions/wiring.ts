// The action engine's dependencies from the app context and docsync's Microsoft side (the same
// Graph client and token broker the sync uses).
import type { AppContext } from '../context.ts';
import type { Microsoft } from '../microsoft/index.ts';
import type { ActionDeps } from './engine.ts';

export function actionDepsFor(ctx: AppContext, microsoft: Pick<Microsoft, 'graph'>): ActionDeps {
  return {
    db: ctx.database.db,
    secrets: ctx.secrets,
    clock: ctx.clock,
    graph: microsoft.graph,
    graphBaseUrl: ctx.config.microsoft.graphBaseUrl,
    log: ctx.log,
    leaseSeconds: ctx.config.sync.leaseSeconds,
  };
}
