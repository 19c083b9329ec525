import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '../db/database.ts';
import type { AppContext } from '../context.ts';
import { pendingMigrations } from '../db/migrate.ts';

/** /healthz: the process is alive. /readyz: the database answers and the schema is current. */
export async function healthRoutes(app: FastifyInstance, { ctx }: { ctx: Pick<AppContext, 'database'> }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await pingDatabase(ctx.database.db);
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: database unreachable');
      return reply.status(503).send({ status: 'unavailable', database: 'unreachable' });
    }
    const pending = await pendingMigrations(ctx.database.db);
    if (pending.length > 0) {
      return reply.status(503).send({ status: 'unavailable', database: 'reachable', pendingMigrations: pending });
    }
    return { status: 'ready', database: 'reachable', pendingMigrations: [] };
  });
}
