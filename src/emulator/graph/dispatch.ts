// Turns a Graph request (from HTTP or from a $batch item) into a response: route lookup,
// handler, and the translation of thrown errors into Graph's error shape. Never throws.

import { WorldError } from '../world.ts';
import type { GraphRequest, GraphResponse, GraphRoute, GraphServices } from './context.ts';
import { errorBody, GraphError, insufficientPrivileges, resourceNotFound } from './errors.ts';

export interface Dispatcher {
  dispatch(request: GraphRequest, ids: { requestId: string; clientRequestId: string }): Promise<GraphResponse>;
}

export function createDispatcher(routes: readonly GraphRoute[], services: GraphServices, log: (err: unknown) => void): Dispatcher {
  return {
    async dispatch(request, ids) {
      try {
        const path = request.path.replace(/\/+$/, '');
        let methodMismatch = false;
        for (const route of routes) {
          const match = route.pattern.exec(path);
          if (!match) continue;
          if (route.versions && !route.versions.includes(request.version)) continue;
          if (route.method !== request.method) {
            methodMismatch = true;
            continue;
          }
          return await route.handler({ ...request, path }, match, services);
        }
        if (methodMismatch) {
          // Writes are not emulated. A caller without any write permission gets what Graph
          // would tell it first (microsoft-examples/batch.json in test/integration/emulator-graph, DELETE /groups/{id}: 403).
          const held = request.caller.kind === 'app' ? request.caller.roles : request.caller.scopes;
          if (request.method !== 'GET' && !held.some((p) => p.includes('ReadWrite'))) throw insufficientPrivileges();
        }
        if (methodMismatch) throw new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
        throw resourceNotFound(path.split('/')[0] || path);
      } catch (err) {
        return errorResponse(err, services, ids, log);
      }
    },
  };
}

export function errorResponse(
  err: unknown,
  services: GraphServices,
  ids: { requestId: string; clientRequestId: string },
  log: (err: unknown) => void,
): GraphResponse {
  let error: GraphError;
  if (err instanceof GraphError) error = err;
  else if (err instanceof WorldError) {
    error =
      err.code === 'tenant_not_found'
        ? new GraphError(401, 'InvalidAuthenticationToken', 'The tenant of the access token does not exist.')
        : new GraphError(404, 'Request_ResourceNotFound', err.message);
  } else {
    log(err);
    error = new GraphError(500, 'generalException', 'An unexpected error occurred while processing the request.');
  }
  return {
    status: error.status,
    headers: { 'Content-Type': 'application/json', ...error.headers },
    body: errorBody(error, { ...ids, now: services.clock.now() }),
  };
}
