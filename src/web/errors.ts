// The one translation of errors to HTTP: { error: { code, message, requestId } }.
// 5xx details stay in the server log; clients get a generic sentence and the request id.
import type { FastifyError, FastifyInstance } from 'fastify';
import { DocsyncError } from '../errors.ts';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DocsyncError | Error, request, reply) => {
    const requestId = request.id;
    if (error instanceof DocsyncError) {
      return reply.status(error.status).send({ error: { code: error.code, message: error.message, action: error.action, requestId } });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      return reply.status(400).send({ error: { code: 'validation_failed', message: fastifyError.message, requestId } });
    }
    const status = fastifyError.statusCode && fastifyError.statusCode >= 400 ? fastifyError.statusCode : 500;
    if (status < 500) {
      return reply.status(status).send({ error: { code: fastifyError.code?.toLowerCase() ?? 'bad_request', message: fastifyError.message, requestId } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(status).send({ error: { code: 'internal_error', message: 'Something went wrong on our side. Quote the request id when reporting it.', requestId } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}`, requestId: request.id } });
  });
}
