// The one translation of errors to HTTP: { error: { code, message, requestId } }.
// 5xx details stay in the server log; clients get a generic sentence and the request id.
// HTML pages (route config `page`) get the same words as a small page instead of JSON.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DocsyncError } from '../errors.ts';
import { escapeHtml } from './html.ts';

interface ErrorBody {
  code: string;
  message: string;
  action?: string;
  requestId: string;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DocsyncError | Error, request, reply) => {
    const requestId = request.id;
    if (error instanceof DocsyncError) {
      return send(request, reply, error.status, { code: error.code, message: error.message, action: error.action, requestId });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      return send(request, reply, 400, { code: 'validation_failed', message: fastifyError.message, requestId });
    }
    const status = fastifyError.statusCode && fastifyError.statusCode >= 400 ? fastifyError.statusCode : 500;
    if (status < 500) {
      return send(request, reply, status, { code: fastifyError.code?.toLowerCase() ?? 'bad_request', message: fastifyError.message, requestId });
    }
    request.log.error({ err: error }, 'request failed');
    return send(request, reply, status, { code: 'internal_error', message: 'Something went wrong on our side. Quote the request id when reporting it.', requestId });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}`, requestId: request.id } });
  });
}

function send(request: FastifyRequest, reply: FastifyReply, status: number, body: ErrorBody) {
  const isPage = (request.routeOptions?.config as { page?: boolean } | undefined)?.page === true;
  if (!isPage) return reply.status(status).send({ error: body });
  const title = status === 401 ? 'Please sign in' : status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'That did not work';
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · docsync</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main id="main"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body.message)}</p>${body.action ? `<p>${escapeHtml(body.action)}</p>` : ''}<p class="muted">Request id: <code>${escapeHtml(body.requestId)}</code></p><p><a href="/">Back to docsync</a></p></main></body></html>`;
  return reply.status(status).type('text/html; charset=utf-8').send(page);
}
