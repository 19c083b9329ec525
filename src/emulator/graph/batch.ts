// JSON batching (examples/batch*.json, G:batch): ≤ 20 requests, unique ids (case-insensitive),
// relative URLs, dependsOn ordering with 424 for a failed dependency, outer 200 whatever the
// inner statuses, each inner request handled (and throttled) on its own.

import type { GraphCaller, GraphRequest, GraphResponse, GraphServices } from './context.ts';
import type { Dispatcher } from './dispatch.ts';
import { badRequest, errorBody, GraphError } from './errors.ts';

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

const MAX_REQUESTS = 20;

function parseBatch(body: unknown): BatchItem[] {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests)) throw badRequest('Invalid batch payload format: the body must be a JSON object with a "requests" array.');
  if (requests.length === 0) throw badRequest('Invalid batch payload format: "requests" is empty.');
  if (requests.length > MAX_REQUESTS)
    throw badRequest(`The number of batch requests ${requests.length} exceeds the limit of ${MAX_REQUESTS}.`);
  const items: BatchItem[] = [];
  const seen = new Set<string>();
  for (const raw of requests) {
    const r = raw as Record<string, unknown> | null;
    if (
      !r ||
      typeof r !== 'object' ||
      typeof r.id !== 'string' ||
      r.id === '' ||
      typeof r.method !== 'string' ||
      typeof r.url !== 'string'
    ) {
      throw badRequest('Invalid batch payload format: every request needs "id", "method" and "url" strings.');
    }
    const key = r.id.toLowerCase();
    if (seen.has(key)) throw badRequest(`Invalid batch payload format: duplicate request id '${r.id}'.`);
    seen.add(key);
    const headers: Record<string, string> = {};
    if (r.headers !== undefined) {
      if (typeof r.headers !== 'object' || r.headers === null)
        throw badRequest(`Invalid batch payload format: headers of request '${r.id}' must be an object.`);
      for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    }
    if (r.body !== undefined && !headers['content-type'])
      throw badRequest(`Invalid batch payload format: request '${r.id}' has a body but no Content-Type header.`);
    const dependsOn = r.dependsOn === undefined ? [] : r.dependsOn;
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string'))
      throw badRequest(`Invalid batch payload format: dependsOn of request '${r.id}' must be an array of ids.`);
    items.push({ id: r.id, method: r.method.toUpperCase(), url: r.url, headers, body: r.body, dependsOn: dependsOn as string[] });
  }
  const ids = new Set(items.map((i) => i.id.toLowerCase()));
  for (const item of items)
    for (const d of item.dependsOn)
      if (!ids.has(d.toLowerCase()))
        throw badRequest(`Invalid batch payload format: request '${item.id}' depends on unknown request '${d}'.`);
  return items;
}

export async function runBatch(
  outer: { version: 'v1.0' | 'beta'; body: unknown; caller: GraphCaller; tenantId: string },
  dispatcher: Dispatcher,
  services: GraphServices,
  ids: { requestId: string; clientRequestId: string },
): Promise<GraphResponse> {
  const items = parseBatch(outer.body);
  const results = new Map<string, { id: string; status: number; headers: Record<string, string>; body?: unknown }>();
  const pending = [...items];
  while (pending.length > 0) {
    const index = pending.findIndex((item) => item.dependsOn.every((d) => results.has(d.toLowerCase())));
    if (index === -1) throw badRequest('Invalid batch payload format: dependsOn forms a cycle.');
    const item = pending.splice(index, 1)[0] as BatchItem;
    const failed = item.dependsOn.find((d) => (results.get(d.toLowerCase())?.status ?? 500) >= 400);
    let response: GraphResponse;
    if (failed !== undefined) {
      const error = new GraphError(424, 'FailedDependency', `The request depends on request '${failed}', which failed.`);
      response = {
        status: 424,
        headers: { 'Content-Type': 'application/json' },
        body: errorBody(error, { ...ids, now: services.clock.now() }),
      };
    } else if (/^https?:/i.test(item.url)) {
      const error = badRequest('Invalid request: the URL of a batch request must be relative to the version root.');
      response = {
        status: 400,
        headers: { 'Content-Type': 'application/json' },
        body: errorBody(error, { ...ids, now: services.clock.now() }),
      };
    } else {
      response = await dispatcher.dispatch(innerRequest(item, outer), ids);
    }
    const headers: Record<string, string> = { 'Cache-Control': 'no-cache', ...response.headers };
    if (response.status < 400 && typeof response.body === 'object' && response.body !== null) headers['OData-Version'] = '4.0';
    results.set(item.id.toLowerCase(), {
      id: item.id,
      status: response.status,
      headers,
      ...(response.body !== undefined && response.body !== '' ? { body: response.body } : {}),
    });
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: { responses: items.map((i) => results.get(i.id.toLowerCase())) },
  };
}

function innerRequest(item: BatchItem, outer: { version: 'v1.0' | 'beta'; caller: GraphCaller; tenantId: string }): GraphRequest {
  const relative = item.url.replace(/^\/+/, '');
  const q = relative.indexOf('?');
  const rawPath = q === -1 ? relative : relative.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    path = rawPath;
  }
  return {
    method: item.method,
    version: outer.version,
    path,
    query: new URLSearchParams(q === -1 ? '' : relative.slice(q + 1)),
    headers: item.headers,
    body: item.body,
    caller: outer.caller,
    tenantId: outer.tenantId,
  };
}
