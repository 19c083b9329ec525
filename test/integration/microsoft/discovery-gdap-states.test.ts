// GDAP facts discovery must read as Microsoft means them (G:gdap, G:org): "expiring" is a
// relationship whose end was reached (no access, like "expired"), and /contracts lists reseller
// and advisor partnerships, so a customer found only there has no GDAP relationship at all.
// Real MSAL and Graph client against the emulator, both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { translateGraphError } from '../../../src/microsoft/graph-client.ts';
import { ENTRA_ROLES } from '../../../src/microsoft/scopes.ts';
import { startHarness, connectedIntegration, customerByIndex, type MicrosoftHarness } from './support.ts';

describe.each(DATABASE_KINDS)('GDAP states in discovery on %s', (kind) => {
  let h: MicrosoftHarness;
  let integrationId: string;
  beforeAll(async () => {
    h = await startHarness({ kind, customers: 6 });
    integrationId = await connectedIntegration(h);
  });
  afterAll(async () => {
    await h?.close();
  });
  const stored = (index: number) =>
    h.ctx.database.db
      .selectFrom('tenants')
      .selectAll()
      .where('integration_id', '=', integrationId)
      .where('microsoft_tenant_id', '=', customerByIndex(h, index).tenantId)
      .executeTakeFirstOrThrow();

  it('a customer found only in /contracts has no GDAP relationship (reseller contract only), not "DAP only"', async () => {
    const report = await h.microsoft.discovery.discover(integrationId);
    const row = await stored(5);
    expect([row.active, row.health, row.inactive_reason]).toEqual([false, 'failing', 'no GDAP relationship (reseller contract only)']);
    const warning = report.warnings.find((w) => w.tenantId === customerByIndex(h, 5).tenantId)!;
    expect(warning.message).toMatch(/reseller contract only/);
    expect(warning.message).not.toMatch(/DAP only/);
  });

  it('counts only roles given to groups the GDAP service account is in, and names the group that lacks it', async () => {
    const limited = customerByIndex(h, 3);
    const otherGroup = '0d0d0d0d-1111-4222-8333-444444444444';
    h.emulator.world.addAccessAssignment(limited.tenantId, {
      securityGroupId: otherGroup,
      roleDefinitionIds: [ENTRA_ROLES.globalReader.id],
    });
    const report = await h.microsoft.discovery.discover(integrationId);
    const row = await stored(3);
    expect((row.roles as unknown as Array<{ name: string }>).map((r) => r.name)).toEqual(['Directory Readers']);
    const warning = report.warnings.find((w) => w.tenantId === limited.tenantId && w.code === 'gdap_group_not_member')!;
    expect(warning.message).toContain(`security group ${otherGroup} has Global Reader`);
    expect(warning.action).toContain(`add the GDAP service account to security group ${otherGroup}`);
    expect(row.health).toBe('warning');
  });

  it('an "expiring" relationship has ended: inactive and failing, worded like an expired one', async () => {
    h.emulator.world.expireRelationship(customerByIndex(h, 0).tenantId, 'expiring');
    const report = await h.microsoft.discovery.discover(integrationId);
    const row = await stored(0);
    expect([row.active, row.health, row.relationship_status]).toEqual([false, 'failing', 'expiring']);
    expect(row.inactive_reason).toMatch(/^the GDAP relationship has ended \(expiring/);
    expect(report.warnings.find((w) => w.tenantId === customerByIndex(h, 0).tenantId)?.code).toBe('relationship_ended');
  });
});

describe('delta error codes', () => {
  it.each(['syncStateNotFound', 'SyncStateNotFound', 'resyncRequired'])('%s (any case) means a full listing', (code) => {
    const error = new GraphError(400, 'The delta token is no longer valid');
    error.code = code;
    expect(translateGraphError(error, 't1', 'users (delta)').code).toBe('resync_required');
  });
});
