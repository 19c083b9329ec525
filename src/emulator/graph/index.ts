// The Graph face of the emulator: registers /v1.0/*, /beta/*, the pre-authenticated report
// downloads (/_reports/download/<id>, standing in for reports.office.com) and the world
// admin API (/_emulator/world/*) on a Fastify instance. Every response carries request-id and
// client-request-id; every failure is a Graph-shaped error, never a crash.

import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerWorldAdminRoutes } from './admin.ts';
import { runBatch } from './batch.ts';
import type { GraphCaller, GraphDeps, GraphRequest, GraphResponse, GraphServices } from './context.ts';
import { createDispatcher, errorResponse } from './dispatch.ts';
import { directoryRoutes } from './directory.ts';
import { badRequest, GraphError } from './errors.ts';
import { createReportStore, renderReportCsv, reportRoutes } from './reports.ts';
import { userRoutes } from './users.ts';
import { GUID } from '../../ids.ts';
import { userWriteRoutes } from './user-writes.ts';
import { throttledDispatcher } from './throttled-dispatch.ts';
import { authenticationMethodsRoutes } from './authentication-methods.ts';
import { groupRoutes } from './groups.ts';

export type { GraphCaller, GraphDeps, GraphTokenVerifier } from './context.ts';

// Headers the live service puts on every response (examples/graph-401-cae-claims-challenge.txt).
const AGS_DIAGNOSTIC = JSON.stringify({
  ServerInfo: { DataCenter: 'Emulator', Slice: 'E', Ring: '1', ScaleUnit: '000', RoleInstance: 'EMU0000001' },
});

/** Why a token was refused, in Graph's words (InvalidAuthenticationToken, 401). */
function tokenMessage(reason: unknown): string {
  switch (reason) {
    case 'missing':
      return 'Access token is empty.';
    case 'expired':
      return 'Lifetime validation failed, the token is expired.';
    case 'wrong_audience':
      return 'Invalid audience.';
    case 'bad_signature':
      return 'Access token validation failure. Signature is invalid.';
    default:
      return 'IDX14100: JWT is not well formed, there are no dots (.).';
  }
}

export async function registerGraphRoutes(app: FastifyInstance, deps: GraphDeps): Promise<void> {
  const instanceId = randomBytes(6).toString('hex');
  const services: GraphServices = { ...deps, instanceId };
  const store = createReportStore(deps.clock, instanceId);
  const log = (err: unknown): void => app.log.error({ err }, 'graph emulator handler failed');
  const routed = createDispatcher(
    [...userRoutes, ...userWriteRoutes, ...groupRoutes, ...directoryRoutes, ...reportRoutes(store), ...authenticationMethodsRoutes],
    services,
    log,
  );
  // Throttling sits in front of the routes, so every $batch item is counted on its own, as Graph does.
  const dispatcher = deps.throttle ? throttledDispatcher(routed, deps.throttle, services) : routed;

  const idsOf = (request: FastifyRequest): { requestId: string; clientRequestId: string } => {
    const requestId = GUID.test(request.id) ? request.id : randomUUID();
    const client = request.headers['client-request-id'];
    return { requestId, clientRequestId: typeof client === 'string' && client.length > 0 ? client.slice(0, 100) : requestId };
  };

  const send = (reply: FastifyReply, response: GraphResponse, ids: { requestId: string; clientRequestId: string }): FastifyReply => {
    reply.status(response.status);
    reply.header('request-id', ids.requestId);
    reply.header('client-request-id', ids.clientRequestId);
    reply.header('x-ms-ags-diagnostic', AGS_DIAGNOSTIC);
    reply.header('Strict-Transport-Security', 'max-age=31536000');
    reply.header('Cache-Control', 'no-cache');
    for (const [k, v] of Object.entries(response.headers ?? {})) reply.header(k, v);
    const body = response.body;
    if (body === undefined || body === '') return reply.send();
    if (typeof body === 'string') return reply.send(body);
    if (!response.headers?.['Content-Type']) reply.header('Content-Type', 'application/json');
    reply.header('OData-Version', '4.0');
    return reply.send(JSON.stringify(body));
  };

  // Body-parse failures and anything else Fastify raises before our handler: Graph-shaped.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const ids = idsOf(request);
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const graphError = status < 500 ? new GraphError(status, 'BadRequest', `Unable to read the request: ${error.message}`) : error;
    return send(reply, errorResponse(graphError, services, ids, log), ids);
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const ids = idsOf(request);
    const version = request.url.startsWith('/beta/') ? 'beta' : 'v1.0';
    let response: GraphResponse;
    try {
      const caller = authenticate(request.headers.authorization, services);
      const tenantId = deps.world.resolveTenantId(caller.tenantId) as string;
      const raw = request.url.slice(version.length + 2);
      const q = raw.indexOf('?');
      let path: string;
      try {
        path = decodeURIComponent(q === -1 ? raw : raw.slice(0, q));
      } catch {
        throw badRequest('The request URL is not correctly encoded.');
      }
      const graphRequest: GraphRequest = {
        method: request.method,
        version,
        path,
        query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)),
        headers: request.headers as Record<string, string | undefined>,
        body: request.body,
        caller,
        tenantId,
      };
      if (path.replace(/\/+$/, '') === '$batch') {
        if (request.method !== 'POST')
          throw new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
        response = await runBatch({ version, body: request.body, caller, tenantId }, dispatcher, services, ids);
      } else {
        response = await dispatcher.dispatch(graphRequest, ids);
      }
    } catch (err) {
      response = errorResponse(err, services, ids, log);
    }
    return send(reply, response, ids);
  };

  for (const version of ['v1.0', 'beta']) {
    app.route({ method: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'], url: `/${version}/*`, handler: handle });
  }

  // reports.office.com stand-in: no Authorization, valid a few minutes (examples/reports-*.txt),
  // on its own origin when the servers give it one.
  const downloads = deps.reportDownloads;
  (downloads?.app ?? app).get<{ Params: { id: string } }>('/_reports/download/:id', async (request, reply) => {
    if (downloads) {
      downloads.served.total++;
      if (request.headers.authorization !== undefined) downloads.served.withAuthorization++;
    }
    const entry = store.take(request.params.id);
    if (!entry) return reply.status(404).type('text/plain').send('The report download link is unknown or has expired.');
    const anchorDate = new Date(deps.world.anchor.getTime()).toISOString().slice(0, 10).replace(/-/g, '_');
    const fileName = `${entry.report.replace(/^get/, '')}${anchorDate}.csv`;
    return reply
      .status(200)
      .header('Content-Type', 'application/octet-stream')
      .header('Content-Disposition', `attachment; filename=${fileName}`)
      .send(renderReportCsv(deps.world, entry));
  });

  registerWorldAdminRoutes(app, deps.world);
}

function authenticate(authorization: string | undefined, services: GraphServices): GraphCaller {
  let caller: GraphCaller;
  try {
    caller = services.tokens.verifyAccessToken(authorization);
  } catch (err) {
    const reason = (err as { reason?: unknown }).reason;
    throw new GraphError(401, 'InvalidAuthenticationToken', tokenMessage(reason), {
      'WWW-Authenticate': 'Bearer realm="", client_id="00000003-0000-0000-c000-000000000000"',
    });
  }
  const tenantId = services.world.resolveTenantId(caller.tenantId);
  if (!tenantId) throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. The tenant does not exist.');
  if (!services.world.appConsented(tenantId, caller.clientId)) {
    // The app's service principal is gone from the tenant (consent removed). Seen live as this
    // code (not listed on https://learn.microsoft.com/en-us/graph/errors; reported by partners; treat as plausible).
    throw new GraphError(401, 'Authorization_IdentityNotFound', 'The identity of the calling application could not be established.');
  }
  return caller;
}
