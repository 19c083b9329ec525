// Run as its own process by the sync bench: the emulator's world (deterministic from the seed),
// asked how many users, Intune devices and groups each customer tenant has, so the bench knows the
// minimum number of Graph requests without holding a world in docsync's process (whose memory it
// measures) and without trusting what docsync itself staged.
// Usage: node --import tsx sync-bench-world.ts SEED CUSTOMERS USERS_PER_TENANT → one JSON line.
import { DELTA_PAGE_UNITS } from '../../../src/emulator/graph/groups.ts';
import { createWorld } from '../../../src/emulator/world.ts';

export interface WorldTenantFacts {
  users: number;
  intune: boolean;
  /** Intune device slots (every slot is a device in an unchanged world). */
  devices: number;
  /** Pages of a first groups/delta round (groups with their members): Graph chooses its page size. */
  groupsDeltaPages: number;
}

export interface WorldFacts {
  tenants: Record<string, WorldTenantFacts>;
}

const [seed, customers, usersPerTenant] = process.argv.slice(2).map(Number);
if (![seed, customers, usersPerTenant].every((n) => Number.isInteger(n))) {
  console.error('usage: sync-bench-world.ts SEED CUSTOMERS USERS_PER_TENANT');
  process.exit(2);
}
const world = createWorld({ seed: seed!, customers: customers!, usersPerTenant: usersPerTenant!, clock: { now: () => new Date() } });
/**
 * The pages a first groups/delta round takes, packed as the emulator packs them
 * (src/emulator/graph/groups.ts): a group costs one unit and each member one, a page holds
 * DELTA_PAGE_UNITS, and a group too big for what is left is split (it comes again on the next page).
 */
function groupsDeltaPages(memberCounts: number[]): number {
  let pages = 1;
  let units = 0;
  let g = 0;
  let m = 0;
  while (g < memberCounts.length) {
    const count = memberCounts[g]!;
    const taken = Math.min(Math.max(1, DELTA_PAGE_UNITS - units - 1), count - m);
    units += 1 + taken;
    if (m + taken < count) {
      m += taken;
      pages++;
      units = 0;
      continue;
    }
    g++;
    m = 0;
    if (units >= DELTA_PAGE_UNITS && g < memberCounts.length) {
      pages++;
      units = 0;
    }
  }
  return pages;
}

const facts: WorldFacts = { tenants: {} };
for (const customer of world.customers()) {
  const id = customer.tenantId;
  const intune = world.hasIntune(id);
  const memberCounts = world.groups(id).map((g) => world.groupMembers(id, g.record.id).length);
  facts.tenants[id.toLowerCase()] = {
    users: world.userCount(id),
    intune,
    devices: intune ? world.deviceSlotCount(id) : 0,
    groupsDeltaPages: groupsDeltaPages(memberCounts),
  };
}
process.stdout.write(`${JSON.stringify(facts)}\n`);
