// Server-driven paging as Graph does it: the page carries "@odata.nextLink", an absolute URL
// on the Graph base URL that repeats the query and adds an opaque $skiptoken (G:paging).

import type { GraphRequest, GraphServices } from './context.ts';
import { badRequest } from './errors.ts';
import { decodeToken, encodeToken } from './tokens.ts';

export function linkWith(
  request: GraphRequest,
  services: GraphServices,
  path: string,
  extra: Record<string, string>,
  drop: readonly string[] = ['$skiptoken', 'skiptoken', '$deltatoken', 'deltatoken'],
): string {
  const parts: string[] = [];
  for (const [key, value] of request.query) {
    if (drop.includes(key.toLowerCase())) continue;
    // Graph keeps OData punctuation readable in its links ($select=a,b; $filter=x eq 'y').
    parts.push(
      `${key}=${encodeURIComponent(value)
        .replace(/%2C/gi, ',')
        .replace(/%24/g, '$')
        .replace(/%27/g, "'")
        .replace(/%28/g, '(')
        .replace(/%29/g, ')')
        .replace(/%3A/gi, ':')}`,
    );
  }
  for (const [key, value] of Object.entries(extra)) parts.push(`${key}=${value}`);
  return `${services.graphBaseUrl()}/${request.version}/${path}${parts.length ? `?${parts.join('&')}` : ''}`;
}

export function skipTokenOf(request: GraphRequest): string | undefined {
  for (const [key, value] of request.query) if (key.toLowerCase() === '$skiptoken' || key.toLowerCase() === 'skiptoken') return value;
  return undefined;
}

/** Offset paging over an already-built list (small collections: groups, devices, GDAP lists). */
export function pageByOffset<T>(
  request: GraphRequest,
  services: GraphServices,
  kind: string,
  items: readonly T[],
  top: number,
): { page: T[]; nextLink: string | undefined; first: boolean } {
  const token = skipTokenOf(request);
  let offset = 0;
  if (token !== undefined) {
    const state = decodeToken<{ o: number }>(token, services.instanceId, kind, request.tenantId);
    if (!state || typeof state.o !== 'number') throw badRequest('Invalid $skiptoken value.', 'Request_BadRequest');
    offset = state.o;
  }
  const page = items.slice(offset, offset + top);
  const next = offset + top;
  return {
    page,
    first: token === undefined,
    nextLink:
      next < items.length
        ? linkWith(request, services, request.path, { $skiptoken: encodeToken(services.instanceId, kind, request.tenantId, { o: next }) })
        : undefined,
  };
}
