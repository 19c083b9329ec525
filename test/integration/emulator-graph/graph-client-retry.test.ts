// The real Graph SDK's RetryHandler against the emulator's throttling: a 429 with Retry-After
// is retried by the SDK and the caller gets the page; past the retry budget the caller gets
// Graph's TooManyRequests error. (Same loopback-over-http middleware as graph-client.test.ts.)
import {
  AuthenticationHandler,
  Client,
  CustomAuthenticationProvider,
  GraphError,
  HTTPMessageHandler,
  RetryHandler,
  RetryHandlerOptions,
} from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackOverHttp, startHarness, type Harness } from './harness.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ customers: 2, usersPerTenant: 30 });
});
afterAll(() => harness?.close());

function sdkClient(tenantId: string, maxRetries: number): Client {
  const { port } = new URL(harness.graph);
  const token = harness.appToken(tenantId);
  return Client.initWithMiddleware({
    baseUrl: `https://127.0.0.1:${port}/`,
    customHosts: new Set(['127.0.0.1']),
    middleware: [
      new AuthenticationHandler(new CustomAuthenticationProvider((done) => done(null, token))),
      new RetryHandler(new RetryHandlerOptions(0, maxRetries)),
      loopbackOverHttp(port),
      new HTTPMessageHandler(),
    ],
  });
}

describe('Graph SDK RetryHandler against emulated throttling', () => {
  it('retries a 429 with a fractional Retry-After and returns the page', async () => {
    const tenant = harness.world.customers()[0]!.tenantId;
    const rule = harness.emulator.control.faults.add({
      server: 'graph',
      tenant,
      endpoint: '/v1.0/users',
      count: 2,
      action: { kind: 'status', status: 429, retryAfter: 0.05 },
    });
    const page = await sdkClient(tenant, 3).api('/users').top(10).get();
    expect(page.value).toHaveLength(10);
    expect(harness.emulator.control.faults.list().find((r) => r.id === rule.id)?.fired ?? 2).toBe(2);
  });

  it('gives up with TooManyRequests when throttling outlasts the retry budget', async () => {
    const tenant = harness.world.customers()[1]!.tenantId;
    harness.emulator.control.faults.add({
      server: 'graph',
      tenant,
      endpoint: '/v1.0/users',
      count: 5,
      action: { kind: 'status', status: 429, retryAfter: 0.01 },
    });
    const error = await sdkClient(tenant, 1)
      .api('/users')
      .top(10)
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).statusCode).toBe(429);
    expect((error as GraphError).code).toBe('TooManyRequests');
    harness.emulator.control.faults.clear();
  });
});
