// docsync's Graph client against the emulator enforcing Microsoft's documented limits
// (--throttle): when a tenant's budget is already spent (here by an earlier docsync process of
// the same app, whose pacing state died with it), the client waits what Retry-After says and
// gets its answer; it never gives up or hammers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedIntegration, customerByIndex, startHarness, type MicrosoftHarness } from './support.ts';
import type { GraphCounters } from '../../../src/microsoft/graph-client.ts';
import { usersResource } from '../../../src/microsoft/resources.ts';

let h: MicrosoftHarness;
let integrationId: string;
beforeAll(async () => {
  h = await startHarness({ customers: 2, usersPerTenant: 30, throttle: true });
  integrationId = await connectedIntegration(h);
});
afterAll(async () => h?.close());

describe('Graph client against Microsoft-like throttling', () => {
  it("waits out a 429 on a tenant's spent report budget and returns the report", async () => {
    const tenant = customerByIndex(h, 0).tenantId;
    const token = await h.microsoft.tokens.accessToken(integrationId, tenant);
    const report = `${h.emulator.urls.graphBaseUrl}/v1.0/reports/getMailboxUsageDetail(period='D7')`;
    // 14 report calls per 10 minutes per app and tenant (Microsoft's documented limit): spent.
    for (let i = 0; i < 14; i++)
      expect((await fetch(report, { headers: { Authorization: `Bearer ${token}` }, redirect: 'manual' })).status).toBe(302);

    const counters: GraphCounters = { graphRequests: 0, throttled: 0 };
    h.sleeps.length = 0;
    const csv = await h.microsoft.graph.forTenant(integrationId, tenant, counters).report('getMailboxUsageDetail', 'D7');
    expect(csv).toContain(h.emulator.world.userAt(tenant, 1)!.record.userPrincipalName);
    expect(counters.throttled).toBe(1);
    // It waited what Retry-After said (600 s / 14 ≈ 42.86 s, less the wall time the calls took), not a backoff guess.
    expect(h.sleeps[0]).toBeGreaterThan(40_000);
    expect(h.sleeps[0]).toBeLessThanOrEqual(42_858);
    expect(h.emulator.throttle!.counters()).toMatchObject({ throttled: 1, throttledBy: { reportsAppTenant: 1 } });
  });

  it('lists users under the documented identity limits without being throttled', async () => {
    const tenant = customerByIndex(h, 1).tenantId;
    const before = h.emulator.throttle!.counters().throttled;
    const counters: GraphCounters = { graphRequests: 0, throttled: 0 };
    const ids: string[] = [];
    for await (const page of h.microsoft.graph.forTenant(integrationId, tenant, counters).listAll(usersResource))
      ids.push(...page.map((u) => u.id));
    expect(ids).toHaveLength(h.emulator.world.userCount(tenant));
    expect(counters.throttled).toBe(0);
    expect(h.emulator.throttle!.counters().throttled).toBe(before);
  });
});
