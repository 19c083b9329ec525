// The OpenAPI document, completed in one place rather than in every route: each JSON API
// operation gets an operationId and tags derived from its method and URL (unless the route sets
// them), the error responses its declaration makes possible, all in the one error shape, and
// the server it is served from. Pages and redirects (not under /api/, or config.page) stay out.
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import type { Access } from '../auth/roles.ts';
import { ErrorResponse } from './schemas.ts';

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429;

/** The error responses, each described once under components.responses. */
const ERROR_RESPONSES: Record<ErrorStatus, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The input failed validation (code validation_failed) or a rule (code bad_input).' },
  401: { name: 'Unauthenticated', description: 'No valid session cookie or personal API token.' },
  403: { name: 'Forbidden', description: 'The role does not allow this, or a cookie-authenticated write lacked the CSRF token.' },
  404: { name: 'NotFound', description: 'No such resource.' },
  409: { name: 'Conflict', description: 'The current state does not allow this change (for example, nothing left to undo).' },
  413: { name: 'PayloadTooLarge', description: 'The request body is larger than the configured limit (http.bodyLimitBytes).' },
  429: { name: 'TooManyRequests', description: 'Too many attempts from this address; try again later.' },
};

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Carries a route's access from `transform` to `transformObject`; removed from the document. */
const ACCESS_KEY = 'x-docsync-access';
const RATE_LIMITED_KEY = 'x-docsync-rate-limited';

interface RouteSchema {
  hide?: boolean;
  tags?: string[];
  operationId?: string;
  params?: unknown;
  querystring?: unknown;
  body?: unknown;
  [key: string]: unknown;
}

/**
 * A stable operationId from method and URL, for generated clients: the method, then each fixed
 * path segment after /api, then the trailing path parameter if any.
 * `GET /api/tenants/:id/users/:userId` → `getTenantsUsersByUserId`.
 */
export function operationIdFor(method: string, url: string): string {
  const segments = url
    .replace(/^\/api\//, '')
    .split('/')
    .filter(Boolean);
  const pascal = (text: string) =>
    text
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('');
  const fixed = segments
    .filter((s) => !s.startsWith(':'))
    .map(pascal)
    .join('');
  const last = segments.at(-1);
  const byParam = last?.startsWith(':') ? `By${pascal(last.slice(1))}` : '';
  return `${method.toLowerCase()}${fixed}${byParam}`;
}

/** The errors a route can answer with, from what it declares: input, access, method, limits. */
export function errorStatusesFor(method: string, url: string, schema: RouteSchema, access: Access, rateLimited: boolean): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>();
  const write = WRITE_METHODS.has(method);
  if (schema.params || schema.querystring || schema.body || url.includes(':')) statuses.add(400);
  if (access !== 'public') statuses.add(401);
  if (access !== 'public' && (access !== 'signedIn' || write)) statuses.add(403);
  if (url.includes(':')) statuses.add(404);
  // A write that names a resource or carries input can meet a state that forbids it.
  if (write && access !== 'public' && (schema.body || url.includes(':'))) statuses.add(409);
  if (schema.body) statuses.add(413);
  if (rateLimited) statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}

function firstMethod(route: RouteOptions): string {
  return (Array.isArray(route.method) ? route.method[0] : route.method) ?? 'GET';
}

export function openapiOptions(serverUrl: string, document: { info: { title: string; version: string; description: string } }) {
  const seen = new Map<string, string>();
  const options: FastifyDynamicSwaggerOptions = {
    openapi: {
      openapi: '3.0.3',
      info: { ...document.info, license: { name: 'MIT', url: 'https://opensource.org/license/mit' } },
      servers: [{ url: serverUrl, description: 'this docsync server (http.publicBaseUrl)' }],
      components: {
        securitySchemes: {
          apiToken: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'docsync_session' },
        },
        schemas: { ErrorResponse: withoutId(ErrorResponse) },
        responses: Object.fromEntries(
          Object.values(ERROR_RESPONSES).map(({ name, description }) => [
            name,
            { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } },
          ]),
        ),
      },
      security: [{ apiToken: [] }, { session: [] }],
    },
    hideUntagged: true,
    transform: ({ schema, url, route }) => {
      const given = (schema ?? {}) as RouteSchema;
      if (given.hide || route.config?.page || !url.startsWith('/api/')) return { schema: given, url };
      const method = firstMethod(route);
      const operationId = given.operationId ?? operationIdFor(method, url);
      const other = seen.get(operationId);
      if (other && other !== `${method} ${url}`)
        throw new Error(`operationId ${operationId} is derived for both ${other} and ${method} ${url}`);
      seen.set(operationId, `${method} ${url}`);
      const tag = url.split('/')[2]?.replace(/-/g, ' ') ?? 'api';
      return {
        schema: {
          ...given,
          operationId,
          tags: given.tags ?? [tag],
          [ACCESS_KEY]: route.config?.access ?? 'administrator',
          [RATE_LIMITED_KEY]: Boolean(
            (route.config as { rateLimit?: unknown } | undefined)?.rateLimit ||
            (route.config as { signInBudget?: boolean } | undefined)?.signInBudget,
          ),
        },
        url,
      };
    },
    transformObject: (documentObject) => {
      const openapiObject = (documentObject as { openapiObject: OpenapiDocument }).openapiObject;
      for (const [path, operations] of Object.entries(openapiObject.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations)) {
          const access = operation[ACCESS_KEY] as Access | undefined;
          const rateLimited = operation[RATE_LIMITED_KEY] === true;
          delete operation[ACCESS_KEY];
          delete operation[RATE_LIMITED_KEY];
          if (!access) continue;
          const schema: RouteSchema = {
            ...(operation.parameters?.some((p) => p.in !== 'path') ? { querystring: true } : {}),
            ...(operation.requestBody ? { body: true } : {}),
          };
          const url = path.replace(/\{([^}]+)\}/g, ':$1');
          for (const status of errorStatusesFor(method.toUpperCase(), url, schema, access, rateLimited)) {
            operation.responses[status] ??= { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
          }
        }
      }
      return openapiObject;
    },
  };
  return options;
}

interface OpenapiOperation {
  parameters?: Array<{ in: string }>;
  requestBody?: unknown;
  responses: Record<string, unknown>;
  [key: string]: unknown;
}
interface OpenapiDocument {
  paths?: Record<string, Record<string, OpenapiOperation>>;
}

function withoutId(schema: object): object {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(schema));
  delete copy.$id;
  return copy;
}
