import { describe, expect, it } from 'vitest';
import { createAdaptiveConcurrency } from '../../../src/sync/concurrency.ts';

function controller(overrides: Partial<Parameters<typeof createAdaptiveConcurrency>[0]> = {}, memoryMb = 100) {
  let now = 0;
  const memory = { mb: memoryMb };
  const c = createAdaptiveConcurrency(
    { initialTenants: 8, maxTenants: 12, maxInFlightRequests: 2, memoryLimitMb: 384, ...overrides },
    { clock: { now: () => new Date(now) }, residentMemoryMb: () => memory.mb },
  );
  return { c, memory, advance: (ms: number) => void (now += ms) };
}

describe('adaptive tenant concurrency', () => {
  it('halves the tenant limit on a 429, once per burst of them', () => {
    const { c, advance } = controller();
    c.observe(429, 50);
    c.observe(429, 50);
    c.observe(429, 50);
    expect(c.tenantLimit()).toBe(4);
    advance(1_000);
    c.observe(429, 50);
    expect(c.tenantLimit()).toBe(2);
    for (let i = 0; i < 5; i++) {
      advance(1_000);
      c.observe(429, 50);
    }
    expect(c.tenantLimit()).toBe(1);
  });

  it('grows by one per round of quick answers, up to the maximum, and says so', async () => {
    const { c } = controller({ initialTenants: 2, maxTenants: 3 });
    const grew = c.changed();
    c.observe(200, 100);
    expect(c.tenantLimit()).toBe(2);
    c.observe(200, 100);
    expect(c.tenantLimit()).toBe(3);
    await grew;
    for (let i = 0; i < 30; i++) c.observe(200, 100);
    expect(c.tenantLimit()).toBe(3);
  });

  it('holds the limit while answers are much slower than the best seen', () => {
    const { c } = controller({ initialTenants: 2 });
    for (let i = 0; i < 2; i++) c.observe(200, 100);
    expect(c.tenantLimit()).toBe(3);
    for (let i = 0; i < 30; i++) c.observe(200, 2_000);
    expect(c.tenantLimit()).toBeLessThanOrEqual(4);
    const held = c.tenantLimit();
    for (let i = 0; i < 30; i++) c.observe(200, 2_000);
    expect(c.tenantLimit()).toBe(held);
  });

  it('starts no new tenant above the memory line, but never stalls with none running', () => {
    const { c, memory } = controller({}, 500);
    expect(c.tenantLimit(3)).toBe(0);
    expect(c.tenantLimit(0)).toBe(1);
    memory.mb = 200;
    expect(c.tenantLimit(3)).toBe(8);
  });

  it('keeps Graph requests in flight under the cap, handing slots over in order', async () => {
    const { c } = controller();
    const first = await c.acquire();
    const second = await c.acquire();
    const order: string[] = [];
    const third = c.acquire().then((release) => (order.push('third'), release));
    const fourth = c.acquire().then((release) => (order.push('fourth'), release));
    await Promise.resolve();
    expect(c.snapshot()).toMatchObject({ inFlightRequests: 2, waitingRequests: 2 });
    first();
    first();
    (await third)();
    second();
    (await fourth)();
    expect(order).toEqual(['third', 'fourth']);
    expect(c.snapshot()).toMatchObject({ inFlightRequests: 0, waitingRequests: 0 });
  });

  it('lets an aborted wait for a slot go without taking one', async () => {
    const { c } = controller({ maxInFlightRequests: 1 });
    const held = await c.acquire();
    const abort = new AbortController();
    const waiting = c.acquire(abort.signal);
    abort.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    held();
    expect(c.snapshot()).toMatchObject({ inFlightRequests: 0, waitingRequests: 0 });
  });
});
