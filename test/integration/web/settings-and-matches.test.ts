// Issue 13, items 4 and 5: integration settings are checked before they are stored (group ids,
// domains, the schedule), the per-integration schedule is what the schedule tick applies, and
// "accept" cannot override a tenant that is no longer waiting for a suggestion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { onScheduleTick } from '../../../src/sync/schedule.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, seedTenants, startWebWorld, type Seeded, type WebWorld } from './support.ts';

describe.each(DATABASE_KINDS)('integration settings and tenant matches on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
  });
  afterAll(async () => {
    await world?.close();
  });

  const patchSettings = (settings: Record<string, unknown>) =>
    call(world, 'administrator', 'PATCH', `/api/integrations/${seeded.integrationId}`, { settings });
  const storedSettings = async () =>
    (
      await world.ctx.database.db
        .selectFrom('integrations')
        .select('settings')
        .where('id', '=', seeded.integrationId)
        .executeTakeFirstOrThrow()
    ).settings;

  it('refuses a group typed by name instead of its object id, says which entry is wrong, and stores nothing', async () => {
    const before = await storedSettings();
    const response = await patchSettings({ excludeGroupIds: ['Sales Team'], includeGuests: true });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('"Sales Team" is not a group object id');
    expect(response.json().error.action).toMatch(/Object ID/);
    expect(await storedSettings()).toEqual(before);
    const ok = await patchSettings({ excludeGroupIds: ['0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0'] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().settings.excludeGroupIds).toEqual(['0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0']);
  });

  it('refuses domains that are not domain names', async () => {
    const response = await patchSettings({ domains: ['contoso.com fabrikam.com'] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('"contoso.com fabrikam.com" is not a domain name');
    expect((await patchSettings({ domains: ['Contoso.com', '*'] })).statusCode).toBe(200);
  });

  it('refuses a schedule that is not five-field cron, and keeps a valid one', async () => {
    for (const schedule of ['every hour', '* * * *', '0 0 * * * *', '61 * * * *']) {
      const response = await patchSettings({ schedule });
      expect(response.statusCode, schedule).toBe(400);
      expect(response.json().error.message).toMatch(/^Schedule: /);
    }
    const created = await call(world, 'administrator', 'POST', '/api/integrations', {
      kind: 'direct_delegated',
      name: 'Bad schedule',
      tenantId: 'contoso.onmicrosoft.com',
      clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
      clientSecret: 'a-secret-value',
      settings: { schedule: 'nightly' },
    });
    expect(created.statusCode).toBe(400);
    const saved = await patchSettings({ schedule: ' 30  2 * * * ' });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().settings.schedule).toBe('30 2 * * *');
    expect((await patchSettings({ schedule: '' })).json().settings.schedule).toBeNull();
  });

  it('queues each integration at its own schedule, the others at the default one', async () => {
    const db = world.ctx.database.db;
    const nightly = await db
      .insertInto('integrations')
      .values({
        kind: 'direct_delegated',
        name: 'Nightly customer',
        partner_tenant_id: 'nightly-tenant',
        client_id: 'client-id',
        status: 'connected',
        settings: JSON.stringify({ schedule: '30 2 * * *' }) as never,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const hourly = await db
      .insertInto('integrations')
      .values({ kind: 'gdap', name: 'Hourly partner', partner_tenant_id: 'hourly-tenant', client_id: 'client-id', status: 'connected' })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Cron schedules are read in the process's local time zone, like node-cron's own timers.
    const tick = async (hour: number, minute: number, second = 0) => {
      const at = new Date(2026, 10, 24, hour, minute, second);
      const ids = await onScheduleTick({
        db,
        secrets: world.ctx.secrets,
        log: pino({ level: 'silent' }),
        clock: { now: () => at },
        retentionDays: 30,
        owner: 'test',
        defaultExpression: '0 * * * *',
      });
      const runs =
        ids.length === 0 ? [] : await db.selectFrom('sync_runs').select(['integration_id', 'id']).where('id', 'in', ids).execute();
      await db
        .updateTable('sync_runs')
        .set({ status: 'succeeded', finished_at: at })
        .where('id', 'in', ids.length ? ids : ['00000000-0000-4000-8000-000000000000'])
        .execute();
      return runs.map((r) => r.integration_id).filter((id) => id === nightly.id || id === hourly.id);
    };
    expect(await tick(2, 0)).toEqual([hourly.id]);
    expect(await tick(2, 30)).toEqual([nightly.id]);
    expect(await tick(3, 30)).toEqual([]);
    expect(await tick(3, 0, 20)).toEqual([hourly.id]);
  });

  it('refuses to accept a suggestion on a tenant a technician has already matched, and keeps that match', async () => {
    const tenant = seeded.tenants.northwind!.id;
    const chosen = await call(world, 'technician', 'POST', `/api/tenants/${tenant}/choose`, {
      organizationId: seeded.organizations.contoso,
    });
    expect(chosen.statusCode).toBe(200);
    const accepted = await call(world, 'technician', 'POST', `/api/tenants/${tenant}/accept`, {});
    expect(accepted.statusCode).toBe(409);
    expect(accepted.json().error.code).toBe('conflict');
    const decision = await world.ctx.database.db
      .selectFrom('match_decisions')
      .select(['state', 'target_id'])
      .where('tenant_id', '=', tenant)
      .where('kind', '=', 'organization')
      .executeTakeFirstOrThrow();
    expect(decision).toEqual({ state: 'matched', target_id: seeded.organizations.contoso });
    const ignored = seeded.tenants.tailspin!.id;
    expect((await call(world, 'technician', 'POST', `/api/tenants/${ignored}/ignore`)).statusCode).toBe(200);
    expect((await call(world, 'technician', 'POST', `/api/tenants/${ignored}/accept`, {})).statusCode).toBe(409);
  });
});
