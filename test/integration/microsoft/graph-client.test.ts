// The Graph client against the emulator's Graph face: real paging, delta, report downloads,
// $batch and injected faults (429 with fractional Retry-After, 503, dropped connections).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, connectedIntegration, customerByIndex, type MicrosoftHarness } from './support.ts';
import {
  usersResource,
  usersDeltaResource,
  managedDevicesResource,
  subscribedSkusResource,
  usersWithSignInResource,
  parseMailboxUsageCsv,
} from '../../../src/microsoft/resources.ts';
import type { GraphCounters } from '../../../src/microsoft/graph-client.ts';

let h: MicrosoftHarness;
let id: string;
let tenant: string;
beforeAll(async () => {
  h = await startHarness({ customers: 2, usersPerTenant: 1200 });
  id = await connectedIntegration(h);
  tenant = customerByIndex(h, 0).tenantId;
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.emulator.control.faults.clear();
  h.sleeps.length = 0;
});

const counters = (): GraphCounters => ({ graphRequests: 0, throttled: 0 });
async function listUsers(c: GraphCounters) {
  const graph = h.microsoft.graph.forTenant(id, tenant, c);
  const ids: string[] = [];
  for await (const page of graph.listAll(usersResource)) ids.push(...page.map((u) => u.id));
  return { ids, graph };
}

describe('Graph client against the emulator', () => {
  it('lists every user in pages of 999 with the minimum number of requests', async () => {
    const c = counters();
    const { ids, graph } = await listUsers(c);
    expect(ids.length).toBe(h.emulator.world.userCount(tenant));
    expect(new Set(ids).size).toBe(ids.length);
    expect(c.graphRequests).toBe(Math.ceil(ids.length / 999));
    expect(graph.skipped).toEqual([]);
  });

  it('rides out a 429 storm with fractional Retry-After, counting each throttled answer', async () => {
    h.emulator.control.faults.add({
      server: 'graph',
      endpoint: '/v1.0/users*',
      count: 3,
      action: { kind: 'status', status: 429, retryAfter: 0.25 },
    });
    const c = counters();
    const { ids } = await listUsers(c);
    expect(ids.length).toBe(h.emulator.world.userCount(tenant));
    expect(c.throttled).toBe(3);
    expect(h.sleeps.filter((ms) => ms === 250)).toHaveLength(3);
  });

  it('survives 503 and a dropped connection mid-listing', async () => {
    h.emulator.control.faults.add({ server: 'graph', endpoint: '/v1.0/users*', count: 1, action: { kind: 'status', status: 503 } });
    const c = counters();
    const graph = h.microsoft.graph.forTenant(id, tenant, c);
    const ids: string[] = [];
    let pages = 0;
    for await (const page of graph.listAll(usersResource)) {
      ids.push(...page.map((u) => u.id));
      if (++pages === 1) h.emulator.control.faults.add({ server: 'graph', endpoint: '/v1.0/users*', count: 1, action: { kind: 'drop' } });
    }
    expect(ids.length).toBe(h.emulator.world.userCount(tenant));
  });

  it('a tenant failing every call ends in graph_unavailable for that tenant only', async () => {
    h.emulator.control.faults.add({ server: 'graph', tenant, endpoint: '*', action: { kind: 'status', status: 503 } });
    await expect(listUsers(counters())).rejects.toMatchObject({ code: 'graph_unavailable', scope: 'tenant' });
    const other = h.microsoft.graph.forTenant(id, customerByIndex(h, 1).tenantId, counters());
    for await (const page of other.listAll(subscribedSkusResource)) expect(page.length).toBeGreaterThan(0);
  });

  it('delta: first round ends with a deltaLink; a change shows up in the next round', async () => {
    const graph = h.microsoft.graph.forTenant(id, tenant, counters());
    let link: string | undefined;
    let count = 0;
    for await (const page of graph.delta(usersDeltaResource, null)) {
      count += page.items.length;
      link = page.deltaLink ?? link;
    }
    expect(count).toBe(h.emulator.world.userCount(tenant));
    expect(link).toBeTruthy();
    const someone = (await listUsers(counters())).ids[0]!;
    h.emulator.world.renameUser(tenant, someone, 'Renamed Person');
    const changed: string[] = [];
    for await (const page of graph.delta(usersDeltaResource, link!)) changed.push(...page.items.map((u) => u.displayName ?? ''));
    expect(changed).toContain('Renamed Person');
  });

  it('devices, sign-in activity and the mailbox usage report (302 → CSV)', async () => {
    const graph = h.microsoft.graph.forTenant(id, tenant, counters());
    let devices = 0;
    for await (const page of graph.listAll(managedDevicesResource)) devices += page.length;
    expect(devices).toBeGreaterThan(0);
    for await (const page of graph.listAll(usersWithSignInResource)) {
      expect(page.some((u) => u.signInActivity !== undefined)).toBe(true);
      break;
    }
    const csv = await graph.report('getMailboxUsageDetail', 'D7');
    const parsed = parseMailboxUsageCsv(csv);
    expect(parsed.rows.length).toBeGreaterThan(0);
    expect(parsed.rows[0]!.userPrincipalName).toContain('@');
  });
});
