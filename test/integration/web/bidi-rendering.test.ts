// Issue 13, item 8: bidi controls from Microsoft (an RTL override that makes "gnp.exe" read as
// "exe.png") never reach a page raw: not in <title>, table cells such as serial numbers, sync-log
// messages, attributes or visually hidden labels. Every place shows the same visible marker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedContents, seedTenants, startWebWorld, type Seeded, type SeededContents, type WebWorld } from './support.ts';

const RTL = 'Fabrikam\u202Egnp.exe\u202C \u2067isolated\u2069 \u200Fmark';
const RAW_BIDI = /\p{Bidi_Control}/u;

describe.each(DATABASE_KINDS)('bidi controls in Microsoft text on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let contents: SeededContents;
  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    contents = await seedContents(world.ctx, seeded, world.clock.now());
    const db = world.ctx.database.db;
    const tenant = seeded.tenants.contoso!.id;
    await db
      .updateTable('tenants')
      .set({ display_name: `Contoso ${RTL}` })
      .where('id', '=', tenant)
      .execute();
    await db
      .updateTable('organizations')
      .set({ name: `Contoso org ${RTL}` })
      .where('id', '=', seeded.organizations.contoso!)
      .execute();
    await db
      .updateTable('integrations')
      .set({ name: `Partner ${RTL}` })
      .where('id', '=', seeded.integrationId)
      .execute();
    await db
      .updateTable('configurations')
      .set({ serial_number: `SN-${RTL}`, name: `LAPTOP ${RTL}` })
      .where('intune_device_id', '=', contents.deviceId)
      .execute();
    await db
      .updateTable('ms_managed_devices')
      .set({
        data: JSON.stringify({
          id: contents.deviceId,
          deviceName: `LAPTOP ${RTL}`,
          serialNumber: `SN-${RTL}`,
          operatingSystem: `Windows ${RTL}`,
          complianceState: 'compliant',
          userId: contents.users.adele,
        }) as never,
      })
      .where('device_id', '=', contents.deviceId)
      .execute();
    await db
      .updateTable('ms_users')
      .set({
        data: JSON.stringify({
          id: contents.users.adele,
          displayName: `Adele ${RTL}`,
          userPrincipalName: 'AdeleV@contoso.example',
          jobTitle: RTL,
          accountEnabled: true,
        }) as never,
      })
      .where('user_id', '=', contents.users.adele)
      .execute();
    await db
      .updateTable('sync_log')
      .set({ message: `consent missing for tenant ${RTL}`, action: `re-run admin consent for ${RTL}` })
      .execute();
    await db
      .updateTable('sync_runs')
      .set({ summary: `failed for ${RTL}` })
      .execute();
    const token = await call(world, 'administrator', 'POST', '/api/me/tokens', { name: `script ${RTL}` });
    expect(token.statusCode).toBe(201);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('shows no raw bidi control on any page that prints Microsoft text, and marks each one visibly', async () => {
    const tenant = seeded.tenants.contoso!.id;
    const pages = [
      '/organizations',
      `/tenants/${tenant}/contacts`,
      `/tenants/${tenant}/configurations`,
      `/tenants/${tenant}/users/${contents.users.adele}`,
      `/tenants/${tenant}/licenses`,
      `/integrations/${seeded.integrationId}`,
      '/integrations',
      '/sync-runs',
      `/sync-runs/${contents.runId}`,
      '/account',
      '/audit',
    ];
    for (const page of pages) {
      const response = await call(world, 'administrator', 'GET', page);
      expect(response.statusCode, page).toBe(200);
      expect(RAW_BIDI.test(response.body), `${page} has a raw bidi control`).toBe(false);
    }
    const contacts = (await call(world, 'administrator', 'GET', `/tenants/${tenant}/contacts`)).body;
    const title = /<title>([^<]*)<\/title>/.exec(contacts)![1]!;
    expect(title).toContain('[U+202E]');
    const configurations = (await call(world, 'administrator', 'GET', `/tenants/${tenant}/configurations`)).body;
    expect(configurations).toContain('SN-Fabrikam');
    expect(configurations).toMatch(/SN-Fabrikam(<abbr[^>]*>)?\[U\+202E\]/);
    const run = (await call(world, 'administrator', 'GET', `/sync-runs/${contents.runId}`)).body;
    expect(run).toMatch(/consent missing for tenant Fabrikam(<abbr[^>]*>)?\[U\+202E\]/);
    const account = (await call(world, 'administrator', 'GET', '/account')).body;
    expect(account).toMatch(/<span class="visually-hidden"> script Fabrikam\[U\+202E\]/);
  });
});
