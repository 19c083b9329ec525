// MSAL's network module on node:http/https, and how docsync names its authority to MSAL.
//
// MSAL refuses http authorities, but the local emulator speaks plain http on a loopback
// address. When (and only when) the configured authority host is http:// on loopback, MSAL is
// given "https://<same host:port>/<tenant>" and this client sends requests for that host:port
// over http, telling the emulator the client believes it is https (X-Forwarded-Proto) so the
// discovery documents it serves name https URLs and pass MSAL's issuer check. For https hosts
// nothing is rewritten: production goes through the same code with the real URLs.
import http from 'node:http';
import https from 'node:https';
import { AuthError, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { isLoopbackHost } from '../config.ts';

/** Hosts MSAL already knows (its hard-coded instance metadata); others must be knownAuthorities. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login.partner.microsoftonline.cn',
  'login.chinacloudapi.cn',
  'login-us.microsoftonline.com',
]);

const DEFAULT_TIMEOUT_MS = 30_000;

/** True when docsync talks to a local emulator over plain http. */
export function isLoopbackHttpAuthority(authorityHost: string): boolean {
  const url = new URL(authorityHost);
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** The authority URL to give MSAL for a tenant (GUID, domain, "organizations"). */
export function msalAuthorityFor(authorityHost: string, tenant: string): string {
  const url = new URL(authorityHost);
  if (isLoopbackHttpAuthority(authorityHost)) url.protocol = 'https:';
  return `${url.origin}/${encodeURIComponent(tenant)}`;
}

/** MSAL's `knownAuthorities`: empty for Microsoft's own hosts (MSAL knows them), else [host:port]
 *  so MSAL trusts the host without calling Microsoft's instance discovery. */
export function msalKnownAuthorities(authorityHost: string): string[] {
  const url = new URL(authorityHost);
  return MICROSOFT_AUTHORITY_HOSTS.has(url.hostname.toLowerCase()) ? [] : [url.host];
}

export interface MsalNetworkClientOptions {
  authorityHost: string;
  /** Per-request timeout when MSAL gives none. */
  timeoutMs?: number;
}

export function createMsalNetworkClient(options: MsalNetworkClientOptions): INetworkModule {
  const configured = new URL(options.authorityHost);
  const rewrite = isLoopbackHttpAuthority(options.authorityHost);

  /** https://<emulator host:port>/… → http://<emulator host:port>/… (loopback emulator only). */
  const route = (target: string): { url: URL; forwardedHttps: boolean } => {
    const url = new URL(target);
    if (rewrite && url.protocol === 'https:' && url.host === configured.host) {
      url.protocol = 'http:';
      return { url, forwardedHttps: true };
    }
    return { url, forwardedHttps: false };
  };

  const send = <T>(
    method: 'GET' | 'POST',
    target: string,
    requestOptions: NetworkRequestOptions | undefined,
    timeout: number | undefined,
  ) =>
    new Promise<NetworkResponse<T>>((resolve, reject) => {
      const { url, forwardedHttps } = route(target);
      const headers: Record<string, string | number> = { ...(requestOptions?.headers ?? {}) };
      if (forwardedHttps) headers['x-forwarded-proto'] = 'https';
      const body = method === 'POST' ? (requestOptions?.body ?? '') : undefined;
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const transport = url.protocol === 'http:' ? http : https;
      const req = transport.request(url, { method, headers, timeout: timeout ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(networkError(`response from ${url.host} broke off: ${err.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text.length === 0 ? {} : JSON.parse(text);
          } catch {
            // MSAL's own client fails the same way on a non-JSON body (an HTML error page, a proxy).
            return reject(
              new AuthError('token_parsing_error', `Failed to parse response from ${url.host} (HTTP ${res.statusCode}): not JSON`),
            );
          }
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ headers: responseHeaders, body: parsed as T, status: res.statusCode ?? 0 });
        });
      });
      req.on('timeout', () => req.destroy(new Error('Request timeout')));
      req.on('error', (err) => reject(networkError(`Network request to ${url.host} failed: ${err.message}`)));
      if (body !== undefined) req.write(body);
      req.end();
    });

  return {
    sendGetRequestAsync: <T>(url: string, requestOptions?: NetworkRequestOptions, timeout?: number) =>
      send<T>('GET', url, requestOptions, timeout),
    sendPostRequestAsync: <T>(url: string, requestOptions?: NetworkRequestOptions) => send<T>('POST', url, requestOptions, undefined),
  };
}

function networkError(message: string): AuthError {
  return new AuthError('network_error', message);
}
