// The client-secret banner (issue 5: remind 30 and 7 days ahead, and once expired) on the
// Integrations pages and, for administrators, on the organizations page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntegrationStore } from '../../../src/microsoft/integrations.ts';
import { call, HOSTILE_NAMES, refreshSessions, startWebWorld, type WebWorld } from './support.ts';

const DAY = 86_400_000;

/** The banner's text, or null when the page has none. */
function banner(body: string): string | null {
  const found = /<section class="banner[^"]*"[\s\S]*?<\/section>/.exec(body);
  return found
    ? found[0]
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim()
    : null;
}

describe('the client secret expiry banner', () => {
  let world: WebWorld;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    world = await startWebWorld('pglite');
    const store = createIntegrationStore({ db: world.ctx.database.db, secrets: world.ctx.secrets, clock: world.clock });
    const now = world.clock.now().getTime();
    const add = async (key: string, name: string, expiresInDays: number | null) => {
      const created = await store.create({
        kind: 'gdap',
        name,
        tenantId: 'partner.onmicrosoft.com',
        clientId: '11111111-2222-4333-8444-555555555555',
        clientSecret: `secret-value-${key}`,
        clientSecretExpiresAt: expiresInDays === null ? null : new Date(now + expiresInDays * DAY),
      });
      ids[key] = created.id;
    };
    await add('soon', 'Soon Partner', 20);
    await add('week', HOSTILE_NAMES.script, 5);
    await add('expired', 'Expired Partner', -2);
    await add('later', 'Later Partner', 60);
    await add('unknown', 'No Expiry Partner', null);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('names every integration whose secret expires within 30 days or has expired, with the date and what to do', async () => {
    const response = await call(world, 'administrator', 'GET', '/integrations');
    expect(response.statusCode).toBe(200);
    const text = banner(response.body)!;
    expect(text).toContain('Client secrets need replacing');
    // 2026-11-23 09:00 + 20 days; +5 days; −2 days (the test clock's start).
    expect(text).toContain(
      'The client secret of Soon Partner expires on 13 December 2026 (in 20 days): create a new secret in Entra ID and paste its value ' +
        'here.',
    );
    expect(text).toContain('expires on 28 November 2026 (in 5 days)');
    expect(text).toContain(
      'The client secret of Expired Partner expired on 21 November 2026, so its syncs fail: create a new secret in Entra ID and paste ' +
        'its value here.',
    );
    expect(text).not.toContain('Later Partner');
    expect(text).not.toContain('No Expiry Partner');
    // "here" is where the new secret goes; the hostile name is text, not markup.
    expect(response.body).toContain(`<a href="/integrations/${ids.soon}#s-secret">paste its value here</a>`);
    expect(response.body).not.toContain(HOSTILE_NAMES.script);
    expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The most urgent first: expired, then 5 days, then 20 days.
    expect(text.indexOf('Expired Partner')).toBeLessThan(text.indexOf('alert(1)'));
    expect(text.indexOf('alert(1)')).toBeLessThan(text.indexOf('Soon Partner'));
  });

  it('shows on the organizations page for administrators only', async () => {
    const admin = await call(world, 'administrator', 'GET', '/tenants');
    expect(banner(admin.body)).toContain('The client secret of Soon Partner expires on 13 December 2026');
    const technician = await call(world, 'technician', 'GET', '/tenants');
    expect(technician.statusCode).toBe(200);
    expect(banner(technician.body)).toBeNull();
  });

  it('tells technicians on the Integrations page to ask an administrator', async () => {
    const text = banner((await call(world, 'technician', 'GET', '/integrations')).body)!;
    expect(text).toContain(
      'The client secret of Soon Partner expires on 13 December 2026 (in 20 days): ask an administrator to create a new secret in Entra ' +
        'ID and paste its value into the integration.',
    );
    expect(text).not.toContain('paste its value here');
  });

  it("shows only that integration's notice on its own page, and none once the secret is replaced", async () => {
    const before = banner((await call(world, 'administrator', 'GET', `/integrations/${ids.expired}`)).body)!;
    expect(before).toContain('Expired Partner expired on 21 November 2026');
    expect(before).not.toContain('Soon Partner');
    const replaced = await call(world, 'administrator', 'PATCH', `/api/integrations/${ids.expired}`, {
      clientSecret: 'a-new-secret-value',
      clientSecretExpiresAt: '2027-11-23',
    });
    expect(replaced.statusCode).toBe(200);
    expect(banner((await call(world, 'administrator', 'GET', `/integrations/${ids.expired}`)).body)).toBeNull();
    expect(banner((await call(world, 'administrator', 'GET', '/integrations')).body)).not.toContain('Expired Partner');
  });

  it('appears once a secret comes within 30 days as time passes', async () => {
    expect(banner((await call(world, 'administrator', 'GET', '/integrations')).body)).not.toContain('Later Partner');
    // Sessions expire over a month: sign in again at the later time (the last test of the file).
    world.clock.advance(31 * DAY);
    await refreshSessions(world);
    const text = banner((await call(world, 'administrator', 'GET', '/integrations')).body)!;
    expect(text).toContain('Later Partner expires on 22 January 2027 (in 29 days)');
    expect(text).toContain('Soon Partner expired on 13 December 2026');
  });
});
