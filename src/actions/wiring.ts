// The action engine's dependencies from the app context and docsync's Microsoft side (the same
// Graph client and token broker the sync uses).
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Microsoft } from '../microsoft/index.ts';
import type { Clock } from '../time.ts';
import type { ActionDeps } from './engine.ts';

/** What the action engine takes from the app context (src/context.ts builds it). */
export interface ActionEngineContext {
  database: { db: Kysely<Database> };
  secrets: SecretBox;
  clock: Clock;
  log: Logger;
  config: { microsoft: Pick<Config['microsoft'], 'graphBaseUrl'>; sync: Pick<Config['sync'], 'leaseSeconds'> };
}

export function actionDepsFor(ctx: ActionEngineContext, microsoft: Pick<Microsoft, 'graph'>): ActionDeps {
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
