// The one translation of errors to HTTP: { error: { code, message, requestId } }.
// 5xx details stay in the server log; clients get a generic sentence and the request id.
// HTML pages (route config `page`) get the same words as a small page instead of JSON.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Conflict, DocsyncError } from '../errors.ts';
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
      const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.ceil(retryAfter)));
      return send(request, reply, error.status, { code: error.code, message: error.message, action: error.action, requestId });
    }
    if (isUniqueViolation(error)) {
      // Two requests raced past a "not taken yet" check; the database's unique index decided.
      const conflict = new Conflict('That already exists (another request created it at the same moment).');
      return send(request, reply, conflict.status, { code: conflict.code, message: conflict.message, requestId });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      return send(request, reply, 400, { code: 'validation_failed', message: fastifyError.message, requestId });
    }
    const status = fastifyError.statusCode && fastifyError.statusCode >= 400 ? fastifyError.statusCode : 500;
    if (status < 500) {
      return send(request, reply, status, {
        code: fastifyError.code?.toLowerCase() ?? 'bad_request',
        message: fastifyError.message,
        requestId,
      });
    }
    request.log.error({ err: error }, 'request failed');
    return send(request, reply, status, {
      code: 'internal_error',
      message: 'Something went wrong on our side. Quote the request id when reporting it.',
      requestId,
    });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}`, requestId: request.id },
    });
  });
}

/** Postgres unique_violation (SQLSTATE 23505), from pg or PGlite. */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

const FRAMEWORK_MESSAGES: Record<string, { status: number; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, message: 'The URL is not valid: a path segment is not well-formed percent-encoded UTF-8.' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, message: 'A path segment of the URL is too long.' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, message: 'The request could not be routed.' },
};

/**
 * Fastify's `frameworkErrors`: errors found while routing (a path that is not valid UTF-8, a
 * path parameter over the length limit), before any route's error handler could run.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = FRAMEWORK_MESSAGES[error.code] ?? { status: 400, message: 'The request is not valid.' };
  void reply.status(known.status).send({ error: { code: error.code.toLowerCase(), message: known.message, requestId: request.id } });
}

/**
 * Node's HTTP parser rejecting a request (a body longer than its Content-Length runs into the
 * next "request", malformed headers): answered on the raw socket in the documented shape.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'The request took too long to arrive.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
        : [400, 'Bad Request', 'The request is not valid HTTP (for example, a body that does not match its Content-Length).'];
  const body = JSON.stringify({ error: { code: 'bad_http_request', message, requestId: randomUUID() } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; ` +
        `charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function send(request: FastifyRequest, reply: FastifyReply, status: number, body: ErrorBody) {
  const isPage = (request.routeOptions?.config as { page?: boolean } | undefined)?.page === true;
  if (!isPage) return reply.status(status).send({ error: body });
  const title =
    status === 401
      ? 'Please sign in'
      : status === 403
        ? 'Not allowed'
        : status === 404
          ? 'Not found'
          : status >= 500
            ? 'Something went wrong'
            : 'That did not work';
  return sendMessagePage(reply, status, { title, ...body });
}

export interface MessagePage {
  title: string;
  message: string;
  action?: string | undefined;
  requestId: string;
  /** Where to go next; "Back to docsync" (the home page) unless given. */
  link?: { href: string; text: string };
}

/** The one page for errors and outcomes outside the signed-in layout (error handler, Microsoft connect). */
export function sendMessagePage(reply: FastifyReply, status: number, page: MessagePage) {
  const link = page.link ?? { href: '/', text: 'Back to docsync' };
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(page.title)} · docsync</title>` +
    '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/static/app.css"></head>\n' +
    `<body><main id="main"><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.message)}</p>` +
    (page.action ? `<p>${escapeHtml(page.action)}</p>` : '') +
    `<p class="muted">Request id: <code>${escapeHtml(page.requestId)}</code></p>` +
    `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p></main></body></html>`;
  return reply.status(status).type('text/html; charset=utf-8').send(html);
}
