// The emulator's latency model on the wire: every Graph answer waits a drawn delay, bigger pages
// wait longer, and without --latency nothing waits. The waits are recorded, not slept.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

describe('emulator latency', () => {
  let harness: Harness | undefined;
  afterEach(async () => harness?.close());

  async function withRecordedLatency(delays: number[], spec: { p50Ms: number; p99Ms: number }): Promise<Harness> {
    harness = await startHarness({
      customers: 2,
      usersPerTenant: 400,
      servers: { latency: spec, latencySleep: async (ms) => void delays.push(ms) },
    });
    return harness;
  }

  it('delays every Graph answer by a draw around p50', async () => {
    const delays: number[] = [];
    const h = await withRecordedLatency(delays, { p50Ms: 200, p99Ms: 1500 });
    const token = h.appToken(h.world.customers()[0]!.tenantId);
    for (let i = 0; i < 41; i++) {
      const before = delays.length;
      expect((await h.get('/v1.0/users?$top=1', token)).status).toBe(200);
      expect(delays.length).toBe(before + 1);
    }
    const median = [...delays].sort((a, b) => a - b)[20]!;
    expect(median).toBeGreaterThan(100);
    expect(median).toBeLessThan(400);
    expect(new Set(delays).size).toBeGreaterThan(30);
  });

  it('makes a big page wait longer than a small one, in proportion to its size', async () => {
    const delays: number[] = [];
    // p50 = p99: no spread, so the size factor alone separates the two answers.
    const h = await withRecordedLatency(delays, { p50Ms: 200, p99Ms: 200 });
    const token = h.appToken(h.world.customers()[0]!.tenantId);
    const small = await h.get('/v1.0/users?$top=1', token);
    const big = await h.get('/v1.0/users?$top=999&$select=id,displayName,userPrincipalName,mail,proxyAddresses,otherMails', token);
    const expected = (bytes: number) => Math.round(200 * (1 + bytes / (256 * 1024)));
    expect(delays).toEqual([expected(Buffer.byteLength(small.text)), expected(Buffer.byteLength(big.text))]);
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
  });

  it('answers without waiting when latency is off', async () => {
    const delays: number[] = [];
    harness = await startHarness({ customers: 1, usersPerTenant: 5, servers: { latencySleep: async (ms) => void delays.push(ms) } });
    const tenant = harness.world.customers()[0]!.tenantId;
    for (let i = 0; i < 5; i++) expect((await harness.get('/v1.0/users', harness.appToken(tenant))).status).toBe(200);
    expect(delays).toEqual([]);
  });
});
