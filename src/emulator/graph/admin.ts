// World mutations over HTTP for scripts and the demo: /_emulator/world/* (JSON bodies).
// Same operations as the World methods; errors as {error:{code,message}}.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { WorldError, type CustomerTraits, type NewDeviceInput, type NewUserInput, type World } from '../world.ts';

type Body = Record<string, unknown> | undefined;

function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.status(status).send({ error: { code, message } });
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function registerWorldAdminRoutes(app: FastifyInstance, world: World): void {
  const guard = async (reply: FastifyReply, action: () => unknown, status = 200): Promise<FastifyReply> => {
    try {
      const result = action();
      return status === 204 ? reply.status(204).send() : reply.status(status).send(result ?? {});
    } catch (err) {
      if (err instanceof WorldError) {
        const notFound = err.code.endsWith('not_found');
        return fail(reply, notFound ? 404 : 400, err.code, err.message);
      }
      throw err;
    }
  };

  app.get('/_emulator/world', async (_request, reply) =>
    reply.send({
      partner: {
        tenantId: world.partner.tenantId,
        displayName: world.partner.displayName,
        defaultDomain: world.partner.defaultDomain,
        adminUserId: world.partner.adminUser.id,
        adminGroupId: world.partner.adminGroupId,
        clientId: world.partner.app.clientId,
      },
      customers: world.customers().map((c) => ({
        index: c.index,
        tenantId: c.tenantId,
        displayName: c.displayName,
        defaultDomain: c.defaultDomain,
        traits: c.traits,
      })),
    }),
  );

  app.post('/_emulator/world/customers', async (request, reply) => {
    const body = request.body as Body;
    return guard(
      reply,
      () =>
        world.addCustomer({
          ...(asString(body?.displayName) ? { displayName: asString(body?.displayName) } : {}),
          ...(body?.traits && typeof body.traits === 'object' ? { traits: body.traits as Partial<CustomerTraits> } : {}),
        }),
      201,
    );
  });

  app.post<{ Params: { tenant: string } }>('/_emulator/world/tenants/:tenant/users', async (request, reply) =>
    guard(reply, () => world.addUser(request.params.tenant, (request.body ?? {}) as NewUserInput), 201),
  );

  app.patch<{ Params: { tenant: string; userId: string } }>('/_emulator/world/tenants/:tenant/users/:userId', async (request, reply) => {
    const body = ((request.body ?? {}) as Body) ?? {};
    const { tenant, userId } = request.params;
    return guard(reply, () => {
      if (typeof body.displayName === 'string') {
        world.renameUser(tenant, userId, body.displayName, {
          ...(body.givenName !== undefined ? { givenName: body.givenName as string | null } : {}),
          ...(body.surname !== undefined ? { surname: body.surname as string | null } : {}),
        });
      }
      if (typeof body.accountEnabled === 'boolean') world.disableUser(tenant, userId, !body.accountEnabled);
      if (body.mail !== undefined || body.proxyAddresses !== undefined || body.otherMails !== undefined) {
        world.setAliases(tenant, userId, {
          ...(body.mail !== undefined ? { mail: body.mail as string | null } : {}),
          ...(Array.isArray(body.proxyAddresses) ? { proxyAddresses: body.proxyAddresses as string[] } : {}),
          ...(Array.isArray(body.otherMails) ? { otherMails: body.otherMails as string[] } : {}),
        });
      }
      const user = world.user(tenant, userId);
      if (!user) throw new WorldError('user_not_found', `user ${userId} does not exist`);
      return user.record;
    });
  });

  app.delete<{ Params: { tenant: string; userId: string }; Querystring: { permanent?: string } }>(
    '/_emulator/world/tenants/:tenant/users/:userId',
    async (request, reply) =>
      guard(
        reply,
        () => world.deleteUser(request.params.tenant, request.params.userId, { permanent: request.query.permanent === 'true' }),
        204,
      ),
  );

  app.post<{ Params: { tenant: string } }>('/_emulator/world/tenants/:tenant/devices', async (request, reply) =>
    guard(reply, () => world.addDevice(request.params.tenant, (request.body ?? {}) as NewDeviceInput), 201),
  );

  app.patch<{ Params: { tenant: string; deviceId: string } }>(
    '/_emulator/world/tenants/:tenant/devices/:deviceId',
    async (request, reply) => {
      const userId = (request.body as Body)?.userId;
      if (userId !== null && typeof userId !== 'string') return fail(reply, 400, 'invalid_input', 'userId (string or null) is required');
      return guard(reply, () => world.moveDevice(request.params.tenant, request.params.deviceId, userId));
    },
  );

  app.delete<{ Params: { tenant: string; deviceId: string } }>(
    '/_emulator/world/tenants/:tenant/devices/:deviceId',
    async (request, reply) => guard(reply, () => world.retireDevice(request.params.tenant, request.params.deviceId), 204),
  );

  app.post<{ Params: { tenant: string } }>('/_emulator/world/tenants/:tenant/relationship', async (request, reply) => {
    const action = (request.body as Body)?.action;
    if (action !== 'expire' && action !== 'terminate') return fail(reply, 400, 'invalid_input', 'action must be "expire" or "terminate"');
    return guard(
      reply,
      () => (action === 'expire' ? world.expireRelationship(request.params.tenant) : world.terminateRelationship(request.params.tenant)),
      204,
    );
  });

  app.post<{ Params: { tenant: string } }>('/_emulator/world/tenants/:tenant/consent', async (request, reply) => {
    const granted = (request.body as Body)?.granted;
    if (typeof granted !== 'boolean') return fail(reply, 400, 'invalid_input', 'granted (boolean) is required');
    return guard(reply, () => (granted ? world.restoreConsent(request.params.tenant) : world.removeConsent(request.params.tenant)), 204);
  });

  // The partner's GDAP roles in one customer (e.g. add User Administrator) and extra delegated consent.
  app.post<{ Params: { tenant: string } }>('/_emulator/world/tenants/:tenant/access-roles', async (request, reply) => {
    const roles = (request.body as { roleDefinitionIds?: unknown } | undefined)?.roleDefinitionIds;
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string'))
      return reply.status(400).send({ error: 'roleDefinitionIds must be a list of role template ids' });
    return guard(reply, () => world.setAccessRoles(request.params.tenant, roles as string[]), 204);
  });
  app.post<{ Params: { tenant: string } }>('/_emulator/world/tenants/:tenant/scopes', async (request, reply) => {
    const scopes = (request.body as { scopes?: unknown } | undefined)?.scopes;
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && /^[A-Za-z.-]+$/.test(s)))
      return reply.status(400).send({ error: 'scopes must be a list of Graph permission names' });
    return guard(reply, () => world.grantDelegatedScopes(request.params.tenant, scopes as string[]), 204);
  });

  app.post<{ Params: { tenant: string } }>('/_emulator/world/tenants/:tenant/report-settings', async (request, reply) => {
    const concealed = (request.body as Body)?.displayConcealedNames;
    if (typeof concealed !== 'boolean') return fail(reply, 400, 'invalid_input', 'displayConcealedNames (boolean) is required');
    return guard(reply, () => world.setReportsConcealed(request.params.tenant, concealed), 204);
  });
}
