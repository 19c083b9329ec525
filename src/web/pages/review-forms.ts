// The review decisions as plain HTML form posts, for a browser without script: the same services as
// the JSON API (tenant-matches.ts, tenant-contents.ts), then back to the page the technician came
// from, at the row (303). With script, static/app.js sends the same decisions to the JSON API and
// updates the row in place instead.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { acceptSuggestion, createOrganizationFromTenant, ignoreTenant, undoTenantDecision } from '../services/tenant-matches.ts';
import { decideContact } from '../services/tenant-contents.ts';
import { actionContext } from '../api/tenant-matches.ts';
import { applyDecisionsNow } from '../../sync/apply-decisions.ts';
import { Uuid } from '../schemas.ts';
import { BadInput } from '../../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import type { Principal } from '../../auth/roles.ts';

const Back = Type.Optional(Type.String({ maxLength: 2000 }));
const Csrf = Type.Optional(Type.String({ maxLength: 200 }));

/** Only a path of this site (never `//host` or a scheme): where the technician came from, else the list. */
function backTo(back: string | undefined, fallback: string, anchor: string): string {
  const path = back && back.startsWith('/') && !back.startsWith('//') && !back.includes('\\') ? back.split('#')[0]! : fallback;
  return `${path}#${anchor}`;
}

/** The hidden fields every review form carries: the CSRF token and the page to come back to. */
export function reviewFormFields(principal: Principal, back: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${principal.csrfToken ?? ''}" /><input type="hidden" name="back" value="${back}" />`;
}

export const tenantRowAnchor = (tenantId: string) => `tenant-${tenantId}`;
export const userRowAnchor = (userId: string) => `user-${userId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

export const reviewFormRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock };
  const applyNow = (tenantId: string) => applyDecisionsNow({ ...deps, config: ctx.config }, tenantId);

  app.post(
    '/tenants/:id/decide',
    {
      config: { access: 'technician', page: true },
      schema: {
        params: Type.Object({ id: Uuid }),
        body: Type.Object({
          decision: Type.Union([Type.Literal('accept'), Type.Literal('create-organization'), Type.Literal('ignore'), Type.Literal('undo')]),
          organizationId: Type.Optional(Type.Union([Uuid, Type.Literal('')])),
          back: Back,
          _csrf: Csrf,
        }),
      },
    },
    async (request, reply) => {
      const tenantId = request.params.id;
      const body = request.body;
      const context = actionContext(request);
      if (body.decision === 'accept') await acceptSuggestion(deps, tenantId, body.organizationId || undefined, context);
      else if (body.decision === 'create-organization') await createOrganizationFromTenant(deps, tenantId, context);
      else if (body.decision === 'ignore') await ignoreTenant(deps, tenantId, context);
      else await undoTenantDecision(deps, tenantId, context);
      if (body.decision === 'accept' || body.decision === 'create-organization') await applyNow(tenantId);
      return reply.redirect(backTo(body.back, '/tenants', tenantRowAnchor(tenantId)), 303);
    },
  );

  app.post(
    '/tenants/:id/users/:userId/decide',
    {
      config: { access: 'technician', page: true },
      schema: {
        params: Type.Object({ id: Uuid, userId: Type.String({ minLength: 1, maxLength: 200 }) }),
        body: Type.Object({
          action: Type.Union([Type.Literal('match'), Type.Literal('create'), Type.Literal('exclude'), Type.Literal('undo')]),
          contactId: Type.Optional(Type.Union([Uuid, Type.Literal('')])),
          back: Back,
          _csrf: Csrf,
        }),
      },
    },
    async (request, reply) => {
      const { id: tenantId, userId } = request.params;
      const body = request.body;
      if (body.action === 'match' && !body.contactId) throw new BadInput('Pick the contact to match.');
      const decision =
        body.action === 'match'
          ? { action: 'match' as const, contactId: body.contactId! }
          : { action: body.action as 'create' | 'exclude' | 'undo' };
      await decideContact(deps, tenantId, userId, decision, actionContext(request));
      await applyNow(tenantId);
      return reply.redirect(backTo(body.back, `/tenants/${tenantId}/contacts`, userRowAnchor(userId)), 303);
    },
  );
};
