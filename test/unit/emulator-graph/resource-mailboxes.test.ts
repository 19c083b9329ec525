// The emulator's mailbox usage report says which mailboxes are rooms, equipment and shared ones
// (its "Recipient Type"), for generated worlds and for world files (mailboxSettings.userPurpose).
import { describe, expect, it } from 'vitest';
import { createWorld } from '../../../src/emulator/world.ts';
import { parseWorldFile } from '../../../src/emulator/world/explicit.ts';

const clock = { now: () => new Date('2026-11-23T12:00:00Z') };

describe('resource mailboxes in the emulator', () => {
  it('reports shared and room mailboxes of a generated tenant with their recipient type', () => {
    const world = createWorld({ seed: 1, customers: 1, usersPerTenant: 25, clock });
    const rows = world.mailboxUsage(world.customers()[0]!.tenantId);
    const types = new Set(rows.map((r) => r.recipientType));
    expect(types).toEqual(new Set(['UserMailbox', 'SharedMailbox', 'RoomMailbox']));
  });

  it("reads a world file user's mailboxSettings.userPurpose as the mailbox's kind", () => {
    const customers = parseWorldFile({
      customers: [
        {
          tenantId: '11111111-2222-4333-8444-555555555555',
          displayName: 'Contoso Dental',
          domains: [{ id: 'contosodental.com' }],
          users: [
            { id: 'a1', userPrincipalName: 'zoe@contosodental.com', mail: 'zoe@contosodental.com', displayName: 'Zoë Quill' },
            {
              id: 'a2',
              userPrincipalName: 'projector@contosodental.com',
              mail: 'projector@contosodental.com',
              displayName: 'Projector',
              accountEnabled: false,
              mailboxSettings: { userPurpose: 'equipment' },
            },
          ],
          managedDevices: [],
          subscribedSkus: [],
          intune: true,
          premium: false,
        },
      ],
    });
    const world = createWorld({ seed: 1, customers: 1, usersPerTenant: 1, clock, explicitCustomers: customers });
    const rows = world.mailboxUsage('11111111-2222-4333-8444-555555555555');
    expect(rows.find((r) => r.userPrincipalName === 'projector@contosodental.com')?.recipientType).toBe('EquipmentMailbox');
  });
});
