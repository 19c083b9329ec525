// Issue 15, ergonomics: the integration page shows the redirect URI to register (the very one the
// connect flow sends Microsoft) and the delegated permissions and GDAP roles docsync needs, from
// src/microsoft/scopes.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { GDAP_ROLE_NEEDS, GRAPH_DELEGATED_SCOPES } from '../../../src/microsoft/scopes.ts';
import { call, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

describe.each(DATABASE_KINDS)("the integration page's Microsoft setup on %s", (kind) => {
  let world: WebWorld;
  let seeded: Seeded;

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('shows the redirect URI the connect flow sends to Microsoft, ready to copy', async () => {
    const page = await call(world, 'administrator', 'GET', `/integrations/${seeded.integrationId}`);
    expect(page.statusCode).toBe(200);
    const shown = /<input id="redirect-uri" type="text" readonly value="([^"]+)"/.exec(page.body)?.[1];
    const connect = await call(world, 'administrator', 'GET', `/integrations/${seeded.integrationId}/connect`);
    expect(connect.statusCode).toBe(302);
    const sent = new URL(connect.headers.location as string).searchParams.get('redirect_uri');
    expect(sent).toMatch(/\/auth\/microsoft\/callback$/);
    expect(shown).toBe(sent);
  });

  it('lists every delegated permission and the GDAP roles docsync needs, also to a read-only technician', async () => {
    const body = (await call(world, 'read_only', 'GET', `/integrations/${seeded.integrationId}`)).body;
    for (const need of GRAPH_DELEGATED_SCOPES) expect(body).toContain(`<code>${need.scope}</code>`);
    expect(body).toContain('<td>Directory Readers</td>');
    expect(body).toContain('<td>Global Reader</td>');
    for (const need of GDAP_ROLE_NEEDS) expect(body).toContain(`<td>${need.feature.replace("'", '&#39;')}</td>`);
  });
});
