// The emulator's world: a partner (the MSP) and its customer tenants, deterministic from a
// seed. This file only assembles it; the parts live in world/:
//   partner.ts       the partner's tenant, GDAP service account, groups and app registration
//   tenant-store.ts  every tenant's directory: summaries, the LRU of generated tenants, overlays
//   gdap.ts          delegated admin relationships, access assignments, the GDAP access check
//   read-view.ts     what Graph routes and the identity platform read (WorldReadView)
//   mutations.ts     what tests, the demo and the admin API change (WorldControlView)
//   views.ts         the public types: World = WorldReadView & WorldControlView
import { rngFrom } from './world/prng.ts';
import type { GenerationContext } from './world/generate.ts';
import { createPartner } from './world/partner.ts';
import { createTenantStore } from './world/tenant-store.ts';
import { createGdap } from './world/gdap.ts';
import { createReadView } from './world/read-view.ts';
import { createControlView } from './world/mutations.ts';
import { WorldError, type World, type WorldOptions } from './world/views.ts';

export type * from './world/records.ts';
export type { ExplicitCustomer } from './world/explicit.ts';
export type {
  NewCustomerInput,
  NewDeviceInput,
  NewUserInput,
  OrganizationRecord,
  UserChange,
  World,
  WorldControlView,
  WorldOptions,
  WorldReadView,
} from './world/views.ts';
export { WorldError } from './world/views.ts';
export type { SkuKey } from './world/catalog.ts';

export function createWorld(options: WorldOptions): World {
  const { seed, clock } = options;
  if (!Number.isInteger(options.customers) || options.customers < 0)
    throw new WorldError('invalid_input', 'customers must be a non-negative integer');
  if (!Number.isInteger(options.usersPerTenant) || options.usersPerTenant < 1)
    throw new WorldError('invalid_input', 'usersPerTenant must be a positive integer');
  const now0 = clock.now();
  const anchorMs = Date.UTC(now0.getUTCFullYear(), now0.getUTCMonth(), now0.getUTCDate());
  const ctx: GenerationContext = {
    seed,
    anchorMs,
    usersPerTenant: options.usersPerTenant,
    tenantMask: rngFrom(seed, 'tenant-mask').uint32(),
  };
  const setup = createPartner(seed, anchorMs);
  const store = createTenantStore(options, ctx, setup);
  const gdap = createGdap(store, setup.relationshipSuffix);
  const { etag: _etag, invalidate: _invalidate, ...gdapViews } = gdap;
  return {
    seed,
    usersPerTenant: options.usersPerTenant,
    clock,
    anchor: new Date(anchorMs),
    partner: setup.partner,
    ...createReadView(store),
    ...gdapViews,
    ...createControlView(store, gdap),
  };
}
