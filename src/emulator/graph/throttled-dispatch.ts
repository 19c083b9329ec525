// Microsoft's throttling in front of the emulator's Graph routes: each request (and each $batch
// item) is admitted by the token buckets of throttle.ts or answered with the documented 429.
import type { GraphRequest, GraphResponse, GraphServices } from './context.ts';
import type { Dispatcher } from './dispatch.ts';
import type { GraphThrottle, ThrottleVerdict } from './throttle.ts';

export function throttledDispatcher(inner: Dispatcher, throttle: GraphThrottle, services: GraphServices): Dispatcher {
  return {
    async dispatch(request, ids) {
      const verdict = throttle.admit({
        method: request.method,
        path: request.path.replace(/^\/+/, ''),
        query: request.query,
        tenantId: request.tenantId,
        appId: request.caller.clientId,
      });
      if (!verdict.ok) return throttledResponse(verdict, request, ids, services.clock.now());
      const response = await inner.dispatch(request, ids);
      if (verdict.resourceUnits === undefined) return response;
      // Identity answers say what they cost (x-ms-resource-unit, ENDPOINTS.md §2).
      return { ...response, headers: { ...response.headers, 'x-ms-resource-unit': String(verdict.resourceUnits) } };
    },
  };
}

/** The documented 429 (examples/error-throttled-429.http), with identity's scope headers. */
export function throttledResponse(
  verdict: Extract<ThrottleVerdict, { ok: false }>,
  request: Pick<GraphRequest, 'tenantId' | 'caller' | 'method'>,
  ids: { requestId: string; clientRequestId: string },
  now: Date,
): GraphResponse {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Retry-After': String(verdict.retryAfterSeconds),
  };
  if (verdict.family === 'identity') {
    const kind = request.method === 'GET' ? 'Read' : 'Write';
    const subject = verdict.scope === 'Application' ? request.caller.clientId : request.tenantId;
    headers['x-ms-throttle-scope'] = `${verdict.scope}/${kind}/${request.caller.clientId}/${subject}`;
    headers['x-ms-throttle-information'] = 'ResourceUnitLimitExceeded';
  }
  return {
    status: 429,
    headers,
    body: {
      error: {
        code: 'TooManyRequests',
        innerError: {
          code: '429',
          date: now.toISOString().slice(0, 19),
          message: 'Please retry after',
          'request-id': ids.requestId,
          status: '429',
        },
        message: 'Please retry again later.',
      },
    },
  };
}
