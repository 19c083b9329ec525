// The connect routes are part of the real app (buildApp), behind the technician guards.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';

let ctx: TestContext;
let app: FastifyInstance;
beforeAll(async () => {
  ctx = await createTestContext('pglite');
  app = await buildApp(ctx);
});
afterAll(async () => {
  await app.close();
  await ctx.close();
});

it('GET /integrations/:id/connect sends a visitor without a session to sign in', async () => {
  const response = await app.inject({ method: 'GET', url: '/integrations/6b1f2a52-0d51-4f39-9c43-7a1e4b1e8f00/connect' });
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toMatch(/^\/sign-in\?next=/);
});

it('the callback without a session does not redeem anything', async () => {
  const response = await app.inject({ method: 'GET', url: '/auth/microsoft/callback?code=abc&state=x' });
  expect(response.statusCode).toBe(303);
});
