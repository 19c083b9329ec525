// The `scope` parameter of the identity platform: OIDC scopes plus scopes of ONE resource.
// A bare scope ("User.Read.All") means Microsoft Graph; "https://graph.microsoft.com/.default"
// means "everything consented". If scopes span several resources the token is for the first
// (E:rt). The emulator knows one resource: Graph, under its public identifiers and under the
// emulator's own Graph URL (so configuration may name either).
import { sts } from './errors.ts';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from './tokens.ts';

export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export interface ParsedScopes {
  oidc: Set<string>;
  /** The resource prefix as the client wrote it (echoed in the response's scope). */
  resourcePrefix: string;
  /** Scopes of that resource without the prefix; may contain ".default". */
  resourceScopes: string[];
}

export function parseScopes(raw: string | undefined, graphIdentifiers: readonly string[]): ParsedScopes {
  const known = new Set([GRAPH_RESOURCE, GRAPH_APP_ID, ...graphIdentifiers].map((id) => id.toLowerCase().replace(/\/+$/, '')));
  const oidc = new Set<string>();
  let resourcePrefix: string | undefined;
  const resourceScopes: string[] = [];
  for (const scope of (raw ?? '').split(/\s+/).filter(Boolean)) {
    if (OIDC_SCOPES.has(scope.toLowerCase())) {
      oidc.add(scope.toLowerCase());
      continue;
    }
    const slash = scope.lastIndexOf('/');
    const prefix = slash >= 0 ? scope.slice(0, slash) : GRAPH_RESOURCE;
    const name = slash >= 0 ? scope.slice(slash + 1) : scope;
    if (!known.has(prefix.toLowerCase()) || name.length === 0 || !/^[A-Za-z0-9._-]+$/.test(name)) throw sts.invalidScope(scope);
    if (resourcePrefix === undefined) resourcePrefix = prefix;
    // Scopes of a second resource are ignored: the token is for the first one.
    if (prefix.toLowerCase() === resourcePrefix.toLowerCase()) resourceScopes.push(name);
  }
  return { oidc, resourcePrefix: resourcePrefix ?? GRAPH_RESOURCE, resourceScopes };
}

/** Delegated scopes a token gets: what is consented in the tenant, narrowed to what was asked
 *  (".default" or no resource scope at all = everything consented). */
export function grantedDelegatedScopes(parsed: ParsedScopes, consented: readonly string[]): string[] {
  const wantsAll = parsed.resourceScopes.length === 0 || parsed.resourceScopes.some((s) => s.toLowerCase() === '.default');
  if (wantsAll) return [...consented];
  const asked = new Set(parsed.resourceScopes.map((s) => s.toLowerCase()));
  return consented.filter((s) => asked.has(s.toLowerCase()));
}

/** The response's `scope`: space-separated, fully qualified, not URL-encoded, plus OIDC scopes
 *  except offline_access (as the live service answers, see examples/token-ropc.recorded.json). */
export function responseScope(parsed: ParsedScopes, granted: readonly string[]): string {
  const oidc = ['email', 'openid', 'profile'].filter((s) => parsed.oidc.has(s));
  return [...oidc, ...granted.map((s) => `${parsed.resourcePrefix}/${s}`)].join(' ');
}
