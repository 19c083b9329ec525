// The real @microsoft/microsoft-graph-client against the emulated Graph.
// SDK quirk (v3, GraphRequestUtil.isValidEndpoint and GraphRequest.parsePath): it only knows
// https:// URLs — AuthenticationHandler sends the token only to https Graph hosts or
// customHosts, and absolute nextLinks are only parsed when they start with https://. So this
// test runs the Graph routes with an https graphBaseUrl and puts one tiny middleware before the
// SDK's HTTPMessageHandler that sends loopback https requests over http to the same host:port
// (the same trick docsync uses for MSAL on a loopback authority). Everything else — the SDK's
// AuthenticationHandler with a custom auth provider, RetryHandler, RedirectHandler,
// PageIterator, GraphError parsing — is the production code path.
import Fastify, { type FastifyInstance } from 'fastify';
import {
  AuthenticationHandler,
  Client,
  CustomAuthenticationProvider,
  GraphError,
  HTTPMessageHandler,
  PageIterator,
  RedirectHandler,
  RetryHandler,
  ResponseType,
  RetryHandlerOptions,
} from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGraphRoutes } from '../../../src/emulator/graph/index.ts';
import { createTokenService, type TokenService } from '../../../src/emulator/identity/tokens.ts';
import { createWorld, type World } from '../../../src/emulator/world.ts';
import { ALL_PERMISSIONS, loopbackOverHttp, testClock } from './harness.ts';

let app: FastifyInstance;
let world: World;
let tokens: TokenService;
let port = 0;
const clock = testClock();

beforeAll(async () => {
  world = createWorld({ seed: 5, customers: 4, usersPerTenant: 1234, clock });
  tokens = createTokenService({ clock, world });
  app = Fastify();
  await app.register(registerGraphRoutes, { world, tokens, clock, graphBaseUrl: () => `https://127.0.0.1:${port}` });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(() => app?.close());

function clientFor(tenantId: string, roles: string[] = [...ALL_PERMISSIONS]): Client {
  const token = tokens.issueAccessToken({
    issuer: `https://login.example/${tenantId}/v2.0`,
    tenantId,
    clientId: world.partner.app.clientId,
    appDisplayName: 'docsync',
    kind: 'app',
    roles,
  }).accessToken;
  return Client.initWithMiddleware({
    baseUrl: `https://127.0.0.1:${port}/`,
    customHosts: new Set(['127.0.0.1']),
    middleware: [
      new AuthenticationHandler(new CustomAuthenticationProvider((done) => done(null, token))),
      new RetryHandler(new RetryHandlerOptions(0, 2)),
      new RedirectHandler(),
      loopbackOverHttp(port),
      new HTTPMessageHandler(),
    ],
  });
}

describe('real Graph SDK against the emulator', () => {
  it('lists every user of a tenant with PageIterator over 999-user pages', async () => {
    const tenant = world.customers()[0]!.tenantId;
    const client = clientFor(tenant);
    const first = await client.api('/users').select(['id', 'userPrincipalName', 'proxyAddresses']).top(999).get();
    expect(first.value).toHaveLength(999);
    const ids: string[] = [];
    const iterator = new PageIterator(client, first, (user: { id: string }) => {
      ids.push(user.id);
      return true;
    });
    await iterator.iterate();
    expect(iterator.isComplete()).toBe(true);
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
  });

  it('follows users/delta to its deltaLink', async () => {
    const client = clientFor(world.customers()[1]!.tenantId);
    const first = await client.api('/users/delta').select('displayName').get();
    let count = 0;
    const iterator = new PageIterator(client, first, () => {
      count++;
      return true;
    });
    await iterator.iterate();
    expect(count).toBe(1234);
    expect(iterator.getDeltaLink()).toContain('$deltatoken=');
  });

  it("surfaces Graph errors as GraphError with Graph's code and status", async () => {
    const client = clientFor(world.customers()[0]!.tenantId, ['Group.Read.All']);
    const error = await client
      .api('/users')
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ statusCode: 403, code: 'Authorization_RequestDenied' });
    const noIntune = await clientFor(world.customers()[2]!.tenantId)
      .api('/deviceManagement/managedDevices')
      .get()
      .catch((e: unknown) => e);
    expect(noIntune).toMatchObject({ statusCode: 400 });
  });

  it('reads a report through the 302 to the pre-authenticated download', async () => {
    const client = clientFor(world.customers()[0]!.tenantId);
    // The SDK's RedirectHandler follows the 302 (and drops Authorization on the way, as it should).
    const csv: unknown = await client.api("/reports/getMailboxUsageDetail(period='D7')").responseType(ResponseType.TEXT).get();
    expect(csv).toMatch(/^Report Refresh Date,User Principal Name,/);
    expect(String(csv).split('\n').length).toBeGreaterThan(100);
  });
});
