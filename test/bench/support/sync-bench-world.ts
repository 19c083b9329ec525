// Run as its own process by the sync bench: the emulator's world (deterministic from the seed),
// asked how many users and Intune devices each customer tenant has, so the bench knows the
// minimum number of Graph requests without holding a world in docsync's process (whose memory it
// measures) and without trusting what docsync itself staged.
// Usage: node --import tsx sync-bench-world.ts SEED CUSTOMERS USERS_PER_TENANT → one JSON line.
import { createWorld } from '../../../src/emulator/world.ts';

export interface WorldTenantFacts {
  users: number;
  intune: boolean;
  /** Intune device slots (every slot is a device in an unchanged world). */
  devices: number;
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
const facts: WorldFacts = { tenants: {} };
for (const customer of world.customers()) {
  const id = customer.tenantId;
  const intune = world.hasIntune(id);
  facts.tenants[id.toLowerCase()] = { users: world.userCount(id), intune, devices: intune ? world.deviceSlotCount(id) : 0 };
}
process.stdout.write(`${JSON.stringify(facts)}\n`);
