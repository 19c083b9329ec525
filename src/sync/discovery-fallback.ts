// Customer tenants of a GDAP integration, from delegatedAdminCustomers in the partner tenant.
// A stand-in used by the demo until the Microsoft module's discovery (relationships, health,
// permission check) is wired in: it only adds tenants and refreshes their names, never removes.
import type { AppContext } from '../context.ts';
import { customersResource } from '../microsoft/resources.ts';
import type { SyncMicrosoft } from './microsoft-wiring.ts';

export async function discoverTenants(ctx: AppContext, microsoft: Pick<SyncMicrosoft, 'graph' | 'integrations'>, integrationId: string): Promise<number> {
  const integration = await microsoft.integrations.get(integrationId);
  const counters = { graphRequests: 0, throttled: 0 };
  const graph = microsoft.graph.forTenant(integrationId, integration.tenantId, counters);
  const now = ctx.clock.now();
  let count = 0;
  for await (const page of graph.listAll(customersResource)) {
    for (const customer of page) {
      count++;
      await ctx.database.db
        .insertInto('tenants')
        .values({ integration_id: integrationId, tenant_id: customer.tenantId, display_name: customer.displayName ?? customer.tenantId, last_discovered_at: now })
        .onConflict((oc) =>
          oc.columns(['integration_id', 'tenant_id']).doUpdateSet((eb) => ({ display_name: eb.ref('excluded.display_name') })).where('tenants.display_name', '!=', customer.displayName ?? customer.tenantId),
        )
        .execute();
    }
  }
  return count;
}
