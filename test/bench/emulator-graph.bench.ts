// How cheap is a 999-user page from the emulated Graph? Pages/s and p50/p99 latency over real
// HTTP on 127.0.0.1 (one process: server and client share the core, as in docsync's own
// benchmarks), for default-property pages and for the wide $select docsync's user fetch uses.
// Bounded: a fixed number of pages per case, then it stops.
import { performance } from 'node:perf_hooks';
import { registerGraphRoutes } from '../../src/emulator/graph/index.ts';
import { startEmulatorServers } from '../../src/emulator/server.ts';
import { createWorld } from '../../src/emulator/world.ts';
import { DOCSYNC_APP_PERMISSIONS } from '../../src/emulator/world/catalog.ts';

const PAGES_PER_CASE = Number(process.env.BENCH_PAGES ?? 400);
const clock = { now: () => new Date('2025-06-01T12:00:00Z') };
const world = createWorld({ seed: 1, customers: 1000, usersPerTenant: 1000, clock });
const emulator = await startEmulatorServers({ world, registerGraphRoutes, clock });
const graph = emulator.urls.graphBaseUrl;

function tokenFor(tenantId: string): string {
  return emulator.tokens.issueAccessToken({
    issuer: `${emulator.urls.authorityHost}/${tenantId}/v2.0`,
    tenantId,
    clientId: world.partner.app.clientId,
    appDisplayName: 'docsync',
    kind: 'app',
    roles: [...DOCSYNC_APP_PERMISSIONS],
  }).accessToken;
}

const WIDE_SELECT =
  'id,displayName,givenName,surname,userPrincipalName,mail,otherMails,proxyAddresses,accountEnabled,userType,assignedLicenses,' +
  'lastPasswordChangeDateTime,createdDateTime,jobTitle,department';

async function run(name: string, query: string, tenants: string[]): Promise<void> {
  const latencies: number[] = [];
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < PAGES_PER_CASE; i++) {
    const tenant = tenants[i % tenants.length] as string;
    const t0 = performance.now();
    const response = await fetch(`${graph}/v1.0/users?${query}`, { headers: { Authorization: `Bearer ${tokens.get(tenant)}` } });
    const body = await response.text();
    latencies.push(performance.now() - t0);
    if (response.status !== 200) throw new Error(`${name}: HTTP ${response.status} ${body.slice(0, 200)}`);
    bytes += body.length;
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] as number).toFixed(2);
  console.log(
    `${name.padEnd(44)} ${(PAGES_PER_CASE / seconds).toFixed(1).padStart(7)} pages/s   p50 ${pct(0.5).padStart(6)} ms   p99 ` +
      `${pct(0.99).padStart(6)} ms   ${(bytes / PAGES_PER_CASE / 1024).toFixed(0)} KiB/page`,
  );
}

// signInActivity needs Entra ID P1: keep to premium customers so every case can read it.
const hot = world
  .customers()
  .filter((c) => c.traits.premium)
  .slice(0, 4)
  .map((c) => c.tenantId);
const cold = world
  .customers()
  .slice(100, 100 + PAGES_PER_CASE)
  .map((c) => c.tenantId);
const tokens = new Map<string, string>([...hot, ...cold].map((t) => [t, tokenFor(t)]));

console.log(`emulator Graph, 1,000 customers × 1,000 users, ${PAGES_PER_CASE} pages per case, node ${process.version}`);
await run('warm-up', '$top=999', hot);
await run('999 users, default properties (cached tenant)', '$top=999', hot);
await run('999 users, docsync $select (cached tenant)', `$top=999&$select=${WIDE_SELECT}`, hot);
await run('999 users, docsync $select (fresh tenant)', `$top=999&$select=${WIDE_SELECT}`, cold);
await run('500 users with signInActivity', '$top=999&$select=id,signInActivity', hot);
(globalThis as { gc?: () => void }).gc?.();
const stats = world.cacheStats();
console.log(
  `tenant cache: ${stats.cachedTenants} tenants, ${stats.generatedUsers} generated users; rss ` +
    `${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
);
await emulator.close();
