// After connect + discovery + a Graph listing, the whole database and every log line hold no
// client secret, refresh token or access token in plaintext.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, connectedIntegration, customerByIndex, type MicrosoftHarness } from './support.ts';
import { usersResource } from '../../../src/microsoft/resources.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';

describe.each(DATABASE_KINDS)('no plaintext secrets (%s)', (kind) => {
  let h: MicrosoftHarness;
  beforeAll(async () => {
    h = await startHarness({ kind, customers: 4, usersPerTenant: 3 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('finds none in any table or log line', async () => {
    const id = await connectedIntegration(h);
    const secrets = new Set<string>([h.emulator.credentials.clientSecret, h.emulator.credentials.refreshToken]);
    const initial = await h.microsoft.integrations.credentials(id);
    secrets.add(initial.refreshToken!);
    await h.microsoft.discovery.discover(id);
    const tenant = customerByIndex(h, 0).tenantId;
    secrets.add(await h.microsoft.tokens.accessToken(id, tenant));
    const graph = h.microsoft.graph.forTenant(id, tenant, { graphRequests: 0, throttled: 0 });
    for await (const page of graph.listAll(usersResource)) expect(page.length).toBeGreaterThan(0);
    // A failure path too: revoked sign-in logs a line and marks the integration.
    h.emulator.control.faults.add({
      server: 'identity',
      endpoint: '*/oauth2/v2.0/token',
      count: 1,
      action: { kind: 'aadsts', code: 50173 },
    });
    await h
      .secondProcess()
      .tokens.accessToken(id, customerByIndex(h, 1).tenantId)
      .catch(() => undefined);
    secrets.add((await h.microsoft.integrations.credentials(id)).refreshToken!);

    const db = h.ctx.database.db;
    const tables = await sql<{
      table_name: string;
    }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db);
    let dump = '';
    for (const { table_name } of tables.rows) {
      const rows = await sql`select * from ${sql.table(table_name)}`.execute(db);
      dump += `${table_name}:${JSON.stringify(rows.rows)}\n`;
    }
    expect(dump).toContain('Contoso');
    const logs = h.logLines.join('');
    expect(logs).toContain('token request failed');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      expect(dump.includes(secret), 'a secret is stored in plaintext').toBe(false);
      expect(logs.includes(secret), 'a secret reached the logs').toBe(false);
    }
    // No JWT (access or ID token) anywhere either.
    expect(dump).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });
});
