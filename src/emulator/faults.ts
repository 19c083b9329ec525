// Fault injection for both emulator servers. A rule matches calls by server, tenant and
// endpoint, fires by rate (seeded PRNG, so a seed replays the same faults for the same call
// order) or by script (the next N matching calls), and acts before any route handler runs:
// 429 with Retry-After (fractional seconds allowed, as Graph documents), 5xx, a delay, a
// dropped connection, or (identity only) a chosen AADSTS error such as 50076.
// Rules come from the --fault flag, POST /_emulator/faults on either server, or code.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StsError, sts, stsErrorForCode } from './identity/errors.ts';
import { sendStsError } from './identity/routes.ts';
import { unverifiedClaims } from './identity/tokens.ts';
import type { SeededRandom } from './identity/random.ts';
import type { EmulatorClock } from './world-types.ts';

export type EmulatorServerName = 'identity' | 'graph';

export type FaultAction =
  | { kind: 'status'; status: number; retryAfter?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop' }
  | { kind: 'aadsts'; code: number };

export interface FaultRuleInput {
  /** Which server; both when absent. */
  server?: EmulatorServerName;
  /** Tenant GUID or domain; any tenant when absent. */
  tenant?: string;
  /** Path pattern without query, `*` matches anything (e.g. "/v1.0/users*", "*\/oauth2/v2.0/token"). */
  endpoint?: string;
  /** HTTP method; any when absent. */
  method?: string;
  /** Probability per matching call, 0..1 (default 1: every call). */
  rate?: number;
  /** Script: the rule fires for the next `count` matching calls, then retires. */
  count?: number;
  action: FaultAction;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
  /** Calls this rule acted on so far. */
  fired: number;
}

export class FaultRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

const STATUSES = new Set([429, 500, 502, 503, 504]);

/** Checks a rule from JSON (flag, admin API) and returns it typed; throws FaultRuleError with the reason. */
export function validateFaultRule(value: unknown): FaultRuleInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FaultRuleError('a fault rule is a JSON object');
  const v = value as Record<string, unknown>;
  const known = new Set(['server', 'tenant', 'endpoint', 'method', 'rate', 'count', 'action']);
  for (const key of Object.keys(v))
    if (!known.has(key)) throw new FaultRuleError(`unknown field "${key}" (expected ${[...known].join(', ')})`);
  if (v.server !== undefined && v.server !== 'identity' && v.server !== 'graph')
    throw new FaultRuleError('server must be "identity" or "graph"');
  for (const key of ['tenant', 'endpoint', 'method'] as const) {
    if (v[key] !== undefined && (typeof v[key] !== 'string' || v[key] === ''))
      throw new FaultRuleError(`${key} must be a non-empty string`);
  }
  if (v.rate !== undefined && (typeof v.rate !== 'number' || !(v.rate >= 0 && v.rate <= 1)))
    throw new FaultRuleError('rate must be a number from 0 to 1');
  if (v.count !== undefined && (typeof v.count !== 'number' || !Number.isInteger(v.count) || v.count < 1))
    throw new FaultRuleError('count must be a whole number ≥ 1');
  const a = v.action as Record<string, unknown> | undefined;
  if (typeof a !== 'object' || a === null)
    throw new FaultRuleError('action is required, e.g. {"kind":"status","status":429,"retryAfter":1.5}');
  let action: FaultAction;
  switch (a.kind) {
    case 'status':
      if (typeof a.status !== 'number' || !STATUSES.has(a.status))
        throw new FaultRuleError(`action.status must be one of ${[...STATUSES].join(', ')}`);
      if (a.retryAfter !== undefined && (typeof a.retryAfter !== 'number' || !(a.retryAfter >= 0)))
        throw new FaultRuleError('action.retryAfter must be seconds ≥ 0');
      action = { kind: 'status', status: a.status, ...(a.retryAfter !== undefined ? { retryAfter: a.retryAfter as number } : {}) };
      break;
    case 'delay':
      if (typeof a.ms !== 'number' || !(a.ms >= 0 && a.ms <= 120_000)) throw new FaultRuleError('action.ms must be 0..120000');
      action = { kind: 'delay', ms: a.ms };
      break;
    case 'drop':
      action = { kind: 'drop' };
      break;
    case 'aadsts':
      if (typeof a.code !== 'number' || !Number.isInteger(a.code) || a.code <= 0)
        throw new FaultRuleError('action.code must be an AADSTS number, e.g. 50076');
      if (v.server === 'graph') throw new FaultRuleError('aadsts faults apply to the identity server only');
      action = { kind: 'aadsts', code: a.code };
      break;
    default:
      throw new FaultRuleError('action.kind must be "status", "delay", "drop" or "aadsts"');
  }
  return {
    ...(v.server !== undefined ? { server: v.server as EmulatorServerName } : {}),
    ...(v.tenant !== undefined ? { tenant: v.tenant as string } : {}),
    ...(v.endpoint !== undefined ? { endpoint: v.endpoint as string } : {}),
    ...(v.method !== undefined ? { method: (v.method as string).toUpperCase() } : {}),
    ...(v.rate !== undefined ? { rate: v.rate as number } : {}),
    ...(v.count !== undefined ? { count: v.count as number } : {}),
    action,
  };
}

/** `--fault` takes one rule object or an array of them. */
export function parseFaultRules(json: string): FaultRuleInput[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new FaultRuleError(`--fault is not JSON: ${(err as Error).message}`);
  }
  return (Array.isArray(value) ? value : [value]).map(validateFaultRule);
}

export interface FaultCall {
  server: EmulatorServerName;
  /** Tenant GUID the call is about, when known. */
  tenantId: string | undefined;
  method: string;
  path: string;
}

export interface FaultInjector {
  add(rule: FaultRuleInput): FaultRule;
  remove(id: string): boolean;
  clear(): void;
  list(): FaultRule[];
  /** The action for this call, if a rule fires (counts and retires scripted rules). */
  decide(call: FaultCall): FaultAction | undefined;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

export function createFaultInjector(options: {
  random: SeededRandom;
  resolveTenantId: (idOrDomain: string) => string | undefined;
}): FaultInjector {
  const rules: (FaultRule & { matcher: RegExp | undefined; tenantId: string | undefined; remaining: number | undefined })[] = [];
  let nextId = 1;
  const publicRule = (r: (typeof rules)[number]): FaultRule => {
    const { matcher: _m, tenantId: _t, remaining, ...rest } = r;
    return { ...rest, ...(remaining !== undefined ? { count: remaining } : {}) };
  };
  return {
    add(input) {
      const rule = validateFaultRule(input);
      const stored = {
        ...rule,
        id: `fault-${nextId++}`,
        fired: 0,
        matcher: rule.endpoint ? globToRegExp(rule.endpoint) : undefined,
        tenantId: rule.tenant ? (options.resolveTenantId(rule.tenant) ?? rule.tenant.toLowerCase()) : undefined,
        remaining: rule.count,
      };
      rules.push(stored);
      return publicRule(stored);
    },
    remove(id) {
      const index = rules.findIndex((r) => r.id === id);
      if (index < 0) return false;
      rules.splice(index, 1);
      return true;
    },
    clear() {
      rules.length = 0;
    },
    list: () => rules.map(publicRule),
    decide(call) {
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]!;
        if (rule.server && rule.server !== call.server) continue;
        if (rule.action.kind === 'aadsts' && call.server !== 'identity') continue;
        if (rule.method && rule.method !== call.method) continue;
        if (rule.tenantId && rule.tenantId !== call.tenantId) continue;
        if (rule.matcher && !rule.matcher.test(call.path)) continue;
        if (rule.rate !== undefined && rule.rate < 1 && !(options.random.next() < rule.rate)) continue;
        rule.fired++;
        if (rule.remaining !== undefined && --rule.remaining <= 0) rules.splice(i, 1);
        return rule.action;
      }
      return undefined;
    },
  };
}

const GRAPH_ERRORS: Record<number, { code: string; message: string }> = {
  429: { code: 'TooManyRequests', message: 'Please retry again later.' },
  500: { code: 'generalException', message: 'An unexpected error occurred.' },
  502: { code: 'badGateway', message: 'The server, while acting as a proxy, received a bad response from the upstream server.' },
  503: { code: 'serviceNotAvailable', message: 'The service is temporarily unavailable. Please retry again later.' },
  504: {
    code: 'gatewayTimeout',
    message: 'The server, while acting as a proxy, did not receive a timely response from the upstream server.',
  },
};

/** Graph's error body (examples/error-throttled-429.json) with request-id headers. */
function sendGraphFault(request: FastifyRequest, reply: FastifyReply, status: number, retryAfter: number | undefined, now: Date) {
  const clientRequestId = typeof request.headers['client-request-id'] === 'string' ? request.headers['client-request-id'] : request.id;
  const known = GRAPH_ERRORS[status] ?? GRAPH_ERRORS[500]!;
  const headers: Record<string, string> = { 'request-id': request.id, 'client-request-id': clientRequestId };
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return reply
    .status(status)
    .headers(headers)
    .send({
      error: {
        code: known.code,
        message: known.message,
        innerError: {
          code: String(status),
          date: now.toISOString().replace(/\.\d{3}Z$/, ''),
          message: known.message,
          'request-id': request.id,
          'client-request-id': clientRequestId,
          status: String(status),
        },
      },
    });
}

export interface FaultHookDeps {
  server: EmulatorServerName;
  faults: FaultInjector;
  clock: EmulatorClock;
  resolveTenantId: (idOrDomain: string) => string | undefined;
}

/** The tenant a call is about: identity → first path segment; Graph → the bearer token's tid (not verified). */
function tenantOf(request: FastifyRequest, deps: FaultHookDeps, path: string): string | undefined {
  if (deps.server === 'identity') {
    const segment = path.split('/')[1];
    return segment ? (deps.resolveTenantId(segment) ?? segment.toLowerCase()) : undefined;
  }
  const tid = unverifiedClaims(request.headers.authorization)?.tid;
  return typeof tid === 'string' ? tid : undefined;
}

/** onRequest hook (faults act before handlers) + the admin API under /_emulator/faults. */
export function installFaults(app: FastifyInstance, deps: FaultHookDeps): void {
  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '/';
    if (path.startsWith('/_emulator/')) return done();
    const action = deps.faults.decide({ server: deps.server, tenantId: tenantOf(request, deps, path), method: request.method, path });
    if (!action) return done();
    switch (action.kind) {
      case 'delay': {
        setTimeout(done, action.ms);
        return;
      }
      case 'drop': {
        reply.hijack();
        request.raw.socket.destroy();
        return;
      }
      case 'aadsts': {
        sendStsError(request, reply, stsErrorForCode(action.code, deps.clock.now()), deps.clock.now());
        return;
      }
      case 'status': {
        if (deps.server === 'identity') {
          const err: StsError =
            action.status === 429
              ? sts.throttled(action.retryAfter ?? 1)
              : new StsError(
                  action.status,
                  'temporarily_unavailable',
                  90033,
                  'A transient error has occurred. Please try again.',
                  undefined,
                  action.retryAfter !== undefined ? { 'retry-after': String(action.retryAfter) } : {},
                );
          sendStsError(request, reply, err, deps.clock.now());
        } else {
          sendGraphFault(
            request,
            reply,
            action.status,
            action.status === 429 ? (action.retryAfter ?? 1) : action.retryAfter,
            deps.clock.now(),
          );
        }
        return;
      }
    }
  });

  const adminError = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.status(status).send({ error: { code, message } });

  app.get('/_emulator/faults', async () => ({ rules: deps.faults.list() }));
  app.post('/_emulator/faults', async (request, reply) => {
    const body = request.body as unknown;
    const inputs = body && typeof body === 'object' && !Array.isArray(body) && 'rules' in body ? (body as { rules: unknown }).rules : body;
    const list = Array.isArray(inputs) ? inputs : [inputs];
    try {
      const checked = list.map(validateFaultRule);
      return reply.status(201).send({ rules: checked.map((r) => deps.faults.add(r)) });
    } catch (err) {
      if (err instanceof FaultRuleError) return adminError(reply, 400, 'bad_fault_rule', err.message);
      throw err;
    }
  });
  app.delete('/_emulator/faults', async (_request, reply) => {
    deps.faults.clear();
    return reply.status(204).send();
  });
  app.delete<{ Params: { id: string } }>('/_emulator/faults/:id', async (request, reply) => {
    if (!deps.faults.remove(request.params.id)) return adminError(reply, 404, 'not_found', `no fault rule ${request.params.id}`);
    return reply.status(204).send();
  });
}
