// Token grants of the emulated identity platform: grants/s and p50/p99 latency, client and
// server in this one process (one core), sequential requests over a keep-alive connection.
// Bounded: each scenario stops after ITERATIONS requests or SECONDS seconds.
import http from 'node:http';
import { startEmulator } from '../../src/emulator/index.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(url: string, form: Record<string, string>): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function scenario(name: string, call: () => Promise<void>) {
  for (let i = 0; i < 50; i++) await call(); // warm-up
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  while (latencies.length < ITERATIONS && performance.now() < deadline) {
    const t0 = performance.now();
    await call();
    latencies.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(34)} ${String(latencies.length).padStart(5)} grants  ${(latencies.length / elapsed).toFixed(0).padStart(6)} grants/s  ` +
      `p50 ${percentile(latencies, 50).toFixed(2)} ms  p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );
}

const emu = await startEmulator({ seed: 1, customers: 20, usersPerTenant: 50 });
const { clientId, clientSecret, partnerTenantId } = emu.credentials;
const tokenUrl = (tenant: string) => `${emu.urls.authorityHost}/${tenant}/oauth2/v2.0/token`;
const customer = emu.world.customers().find((c) => c.traits.gdap === 'active' && emu.world.appConsented(c.tenantId, clientId))!;
const expectOk = (result: { status: number; body: string }) => {
  if (result.status !== 200) throw new Error(`grant failed: ${result.status} ${result.body.slice(0, 200)}`);
  return JSON.parse(result.body) as Record<string, string>;
};

console.log(`node ${process.version}, ${ITERATIONS} grants or ${SECONDS}s per scenario, sequential, keep-alive`);
let refreshToken = emu.credentials.refreshToken;
await scenario('refresh_token (partner, rotating)', async () => {
  refreshToken = expectOk(
    await post(tokenUrl(partnerTenantId), {
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: 'https://graph.microsoft.com/.default offline_access openid profile',
    }),
  ).refresh_token!;
});
await scenario('refresh_token (customer via GDAP)', async () => {
  refreshToken = expectOk(
    await post(tokenUrl(customer.tenantId), {
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: 'https://graph.microsoft.com/.default offline_access',
    }),
  ).refresh_token!;
});
await scenario('client_credentials (customer)', async () => {
  expectOk(
    await post(tokenUrl(customer.tenantId), {
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'client_credentials',
      scope: 'https://graph.microsoft.com/.default',
    }),
  );
});

// verifyAccessToken is on every Graph request: first sight (RSA verify) and repeat (cached).
const fresh: string[] = [];
for (let i = 0; i < 2000; i++) {
  fresh.push(
    emu.tokens.issueAccessToken({
      kind: 'app',
      issuer: 'bench',
      tenantId: customer.tenantId,
      clientId,
      appDisplayName: 'bench',
      roles: ['User.Read.All'],
    }).accessToken,
  );
}
let t0 = performance.now();
for (const t of fresh) emu.tokens.verifyAccessToken(`Bearer ${t}`);
const firstSight = (performance.now() - t0) / fresh.length;
t0 = performance.now();
for (let r = 0; r < 10; r++) for (const t of fresh) emu.tokens.verifyAccessToken(`Bearer ${t}`);
const repeat = (performance.now() - t0) / (fresh.length * 10);
console.log(
  `verifyAccessToken                  first sight ${(firstSight * 1000).toFixed(1)} µs/token, repeat ${(repeat * 1000).toFixed(1)} ` +
    `µs/token`,
);

agent.destroy();
await emu.close();
