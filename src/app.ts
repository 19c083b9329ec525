// Builds the Fastify app from its parts. No side effects at import: nothing listens until
// the caller says so (serve, demo, tests with app.inject).
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { AppContext } from './context.ts';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandler } from './web/errors.ts';
import { installInputGuard } from './web/input-guard.ts';
import { healthRoutes } from './web/health.ts';
import { microsoftConnectRoutes } from './web/connect.ts';
import { technicianSurface } from './web/surface.ts';

const REQUEST_ID_HEADER = 'x-request-id';

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    trustProxy: ctx.config.http.trustProxy,
    bodyLimit: ctx.config.http.bodyLimitBytes,
    requestIdHeader: false,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // A caller's id is kept only when it looks like an id, so logs cannot be polluted.
    genReqId: (req) => {
      const given = req.headers[REQUEST_ID_HEADER];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{8,64}$/.test(given) ? given : randomUUID();
    },
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  installErrorHandler(app);
  installInputGuard(app);
  await app.register(formbody);
  await app.register(healthRoutes, { ctx });
  await app.register(technicianSurface, { ctx });
  await app.register(microsoftConnectRoutes, { ctx });
  return app;
}
