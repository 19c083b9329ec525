import { describe, expect, it } from 'vitest';
import { createFaultInjector, parseFaultRules, validateFaultRule } from '../../../src/emulator/faults.ts';
import { seededRandom } from '../../../src/emulator/identity/random.ts';

const injector = () =>
  createFaultInjector({ random: seededRandom(3), resolveTenantId: (t) => (t === 'contoso.com' ? 'tid-contoso' : undefined) });
const call = (over: Partial<{ server: 'identity' | 'graph'; tenantId: string; method: string; path: string }> = {}) => ({
  server: 'graph' as const,
  tenantId: 'tid-contoso',
  method: 'GET',
  path: '/v1.0/users',
  ...over,
});

describe('fault rules', () => {
  it('match by server, tenant (domain resolved), method and endpoint pattern', () => {
    const faults = injector();
    faults.add({
      server: 'graph',
      tenant: 'contoso.com',
      method: 'get',
      endpoint: '/v1.0/users*',
      action: { kind: 'status', status: 503 },
    });
    expect(faults.decide(call())).toEqual({ kind: 'status', status: 503 });
    expect(faults.decide(call({ path: '/v1.0/users/delta' }))).toBeDefined();
    expect(faults.decide(call({ path: '/v1.0/groups' }))).toBeUndefined();
    expect(faults.decide(call({ tenantId: 'tid-other' }))).toBeUndefined();
    expect(faults.decide(call({ method: 'POST' }))).toBeUndefined();
    expect(faults.decide(call({ server: 'identity' }))).toBeUndefined();
  });

  it('scripted rules fire for the next N calls and retire; the first matching rule wins', () => {
    const faults = injector();
    faults.add({ count: 2, action: { kind: 'status', status: 429, retryAfter: 0.5 } });
    faults.add({ action: { kind: 'delay', ms: 5 } });
    expect([faults.decide(call()), faults.decide(call()), faults.decide(call())].map((a) => a?.kind)).toEqual([
      'status',
      'status',
      'delay',
    ]);
    expect(faults.list()).toHaveLength(1);
  });

  it('aadsts actions never touch Graph', () => {
    const faults = injector();
    faults.add({ action: { kind: 'aadsts', code: 50076 } });
    expect(faults.decide(call())).toBeUndefined();
    expect(faults.decide(call({ server: 'identity' }))).toEqual({ kind: 'aadsts', code: 50076 });
  });

  it('rates are drawn from the seed: about the asked share fires, the same each run', () => {
    const run = () => {
      const faults = injector();
      faults.add({ rate: 0.2, action: { kind: 'drop' } });
      return Array.from({ length: 1000 }, () => (faults.decide(call()) ? 1 : 0));
    };
    const first = run();
    expect(first).toEqual(run());
    const share = first.reduce((a: number, b) => a + b, 0) / 1000;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.25);
  });

  it('bad rules are refused with a reason', () => {
    expect(() => validateFaultRule({ action: { kind: 'status', status: 404 } })).toThrow(/action.status must be one of/);
    expect(() => validateFaultRule({ rate: 2, action: { kind: 'drop' } })).toThrow(/rate/);
    expect(() => validateFaultRule({ server: 'graph', action: { kind: 'aadsts', code: 50076 } })).toThrow(/identity server only/);
    expect(() => validateFaultRule({ tenatn: 'x', action: { kind: 'drop' } })).toThrow(/unknown field "tenatn"/);
    expect(() => parseFaultRules('{nope')).toThrow(/not JSON/);
    expect(parseFaultRules('[{"action":{"kind":"drop"}},{"count":1,"action":{"kind":"delay","ms":10}}]')).toHaveLength(2);
  });
});
