// Lifecycle action pages: a tenant's actions, the form for a new one (from the tenant page or a
// contact's page), the preview listing every step and its effect, a typed confirmation for the
// destructive kinds, and an action's progress. Plain forms (CSRF field), no inline script.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { Principal } from '../../auth/roles.ts';
import {
  actionsEnabled,
  getAction,
  listTenantActions,
  requestAction,
  type ActionDeps,
  type ActionRequest,
  type ActionView,
} from '../../actions/engine.ts';
import { actorOf, mayAct, requireFreshSecondFactor } from '../../actions/permission.ts';
import { FreshSecondFactorRequired } from '../../auth/mfa-errors.ts';
import { ACTION_KINDS, actionsAllowed, type ActionKind } from '../../actions/roles.ts';
import { actionDepsFor } from '../../actions/wiring.ts';
import { listTenantRotationSchedules, type RotationScheduleView } from '../../actions/rotation-schedules.ts';
import { BadInput, DocsyncError } from '../../errors.ts';
import { listGroupChoices, type GroupChoice } from '../../actions/microsoft-user.ts';
import { licenseDisplayName } from '../../licensing/skus.ts';
import { createMicrosoft } from '../../microsoft/index.ts';
import { requirePrincipal } from '../guards.ts';
import { html, name, when, type SafeHtml } from '../html.ts';
import { currentSubscribedSkus, getTenant, integrationSettings } from '../../stores/tenants.ts';
import { IdParams, Uuid } from '../schemas.ts';
import { sendPage } from './account-pages.ts';
import { badge, emptyState, layout } from './layout.ts';

export const ACTION_TITLES: Record<ActionKind, string> = {
  offboard: 'Offboard a user',
  onboard: 'Onboard a user',
  license_assign: 'Assign licences',
  license_remove: 'Remove licences',
  license_reclaim: 'Reclaim licences',
  password_rotation: 'Rotate a password',
};
/** Kinds whose run needs the technician to type a confirmation word. */
const TITLES = ACTION_TITLES;
const DESTRUCTIVE = new Set<ActionKind>(['offboard', 'license_remove', 'license_reclaim', 'password_rotation']);
const confirmationWord = (kind: ActionKind) => kind.split('_')[0]!.toUpperCase();
const OFFBOARD_STEPS: Array<[string, string, boolean]> = [
  ['block_sign_in', 'Block sign-in', true],
  ['revoke_sessions', 'Revoke sessions', true],
  ['reset_password', 'Reset the password (kept in the vault)', true],
  ['remove_from_groups', 'Remove from groups', true],
  ['remove_licenses', 'Remove licences', true],
];

type Form = Record<string, string | string[] | undefined>;
const one = (form: Form, key: string): string => {
  const v = form[key];
  return ((Array.isArray(v) ? v[0] : v) ?? '').trim();
};
const many = (form: Form, key: string): string[] => {
  const v = form[key];
  return (Array.isArray(v) ? v : v ? [v] : []).map((s) => s.trim()).filter(Boolean);
};

/** The tenant's password rotation schedules, and (for those who may act) the form to set one. */
function rotationSection(tenantId: string, schedules: RotationScheduleView[], canAct: boolean): SafeHtml {
  const last = (s: RotationScheduleView) => {
    if (s.problem) return html`<strong>Not rotated:</strong> ${s.problem}`;
    if (!s.lastAction) return s.lastRotatedAt ? when(s.lastRotatedAt) : html`<span class="muted">not yet</span>`;
    return html`${s.lastRotatedAt ? when(s.lastRotatedAt) : html`<span class="muted">not yet</span>`}
      <a href="/actions/${s.lastAction.id}">${badge('state', s.lastAction.status)}</a>
      ${s.lastAction.error ? html`<span class="muted">${s.lastAction.error}</span>` : ''}`;
  };
  return html`<section aria-labelledby="rotation-title">
    <h2 id="rotation-title">Scheduled password rotation</h2>
    <p class="muted">
      Every N days the workers reset the password (change required at next sign-in) and keep the new one in the vault, as a password
      rotation action.
    </p>
    ${
      schedules.length === 0
        ? emptyState('No password is rotated on a schedule in this tenant.')
        : html`<table class="rotations">
            <caption class="visually-hidden">
              Password rotation schedules
            </caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Every</th>
                <th scope="col">Next rotation</th>
                <th scope="col">Last rotation</th>
                <th scope="col">Set by</th>
                ${canAct ? html`<th scope="col"><span class="visually-hidden">Stop</span></th>` : ''}
              </tr>
            </thead>
            <tbody>
              ${schedules.map(
                (s) =>
                  html`<tr data-rotation="${s.userPrincipalName}">
                    <td>${name(s.userPrincipalName)}</td>
                    <td>${s.intervalDays} days</td>
                    <td>${when(s.nextRotationAt)}</td>
                    <td>${last(s)}</td>
                    <td>${s.createdBy}</td>
                    ${
                      canAct
                        ? html`<td>
                            <button
                              type="button"
                              class="secondary"
                              data-api="DELETE /api/password-rotations/${s.id}"
                              data-done="Rotation stopped."
                              aria-label="Stop rotating the password of ${s.userPrincipalName}"
                            >
                              Stop
                            </button>
                          </td>`
                        : ''
                    }
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${
      canAct
        ? html`<form class="stacked" data-api="POST /api/tenants/${tenantId}/password-rotations" data-done="Rotation scheduled.">
            <div>
              <label for="rot-users">User ids or UPNs (one per line)</label
              ><textarea id="rot-users" name="userIds" data-type="list" rows="2" required></textarea>
            </div>
            <div>
              <label for="rot-days">Rotate every (days)</label
              ><input id="rot-days" name="intervalDays" data-type="number" type="number" min="1" max="365" value="90" required />
            </div>
            <div><button type="submit">Schedule rotation</button></div>
          </form>`
        : ''
    }
  </section>`;
}

function csrf(principal: Principal): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${principal.csrfToken ?? ''}" />`;
}

function stepsTable(action: ActionView): SafeHtml {
  return html`<table class="steps">
    <caption class="visually-hidden">
      Steps
    </caption>
    <thead>
      <tr>
        <th scope="col">#</th>
        <th scope="col">Step</th>
        <th scope="col">Status</th>
        <th scope="col">Effect</th>
      </tr>
    </thead>
    <tbody>
      ${action.steps.map(
        (s, i) =>
          html`<tr data-step="${s.name}" data-status="${s.status}">
            <td>${i + 1}</td>
            <td>${s.name.replaceAll('_', ' ')}</td>
            <td>${badge('state', s.status)}</td>
            <td>${s.detail}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** What the new-action form asks for each kind; turned into the API request by requestFromForm. */
/** The onboarding group picker: the tenant's groups read live from Microsoft; those docsync cannot change are shown, not offered. */
function groupPicker(groups: GroupChoice[] | { error: string }): SafeHtml {
  if ('error' in groups)
    return html`<p class="banner warn" role="status">The tenant's groups could not be read from Microsoft (${groups.error}).</p>
      <div>
        <label for="f-groups">Group ids (optional, one per line)</label><textarea id="f-groups" name="groupIdsText" rows="2"></textarea>
      </div>`;
  if (groups.length === 0) return html`<p class="muted">The tenant has no group.</p>`;
  return html`<fieldset class="group-picker">
    <legend>Groups (read from Microsoft now)</legend>
    <div>
      <label for="f-group-filter">Filter groups</label
      ><input id="f-group-filter" type="search" data-filter-list="group-choices" autocomplete="off" />
    </div>
    <ul id="group-choices" class="choices">
      ${groups.map(
        (g, i) =>
          html`<li data-filter-text="${g.displayName} ${g.kind} ${g.description ?? ''}">
            <input
              type="checkbox"
              id="grp-${i}"
              name="groupIds"
              value="${g.id}"
              ${g.notManageable ? html` disabled aria-describedby="grp-${i}-why"` : ''}
            /><label for="grp-${i}">${name(g.displayName)} <span class="muted">(${g.kind})</span></label>
            ${g.notManageable ? html`<span class="muted" id="grp-${i}-why">— not offered: ${g.notManageable}</span>` : ''}
          </li>`,
      )}
    </ul>
  </fieldset>`;
}

async function onboardGroups(deps: ActionDeps, tenantId: string): Promise<GroupChoice[] | { error: string }> {
  const tenant = await getTenant(deps.db, tenantId);
  try {
    return await listGroupChoices(
      deps.graph.forTenant(tenant.integration_id, tenant.microsoft_tenant_id, { graphRequests: 0, throttled: 0 }),
    );
  } catch (error) {
    if (error instanceof DocsyncError) return { error: `${error.message}${error.action ? ` ${error.action}` : ''}` };
    throw error;
  }
}

async function formFields(
  ctx: AppContext,
  tenantId: string,
  kind: ActionKind,
  userId: string,
  groups: GroupChoice[] | { error: string } | null,
): Promise<SafeHtml> {
  const user = userId ? html`<input type="hidden" name="userIds" value="${userId}" />` : '';
  const userPicker = userId
    ? user
    : html`<div>
        <label for="f-users">User ids or UPNs (one per line)</label><textarea id="f-users" name="userIdsText" rows="3" required></textarea>
      </div>`;
  const skus = await currentSubscribedSkus(ctx.database.db, tenantId);
  const skuChoices = html`<fieldset>
    <legend>Licences</legend>
    ${skus.map((s, i) => {
      const d = s.data as Record<string, unknown>;
      return html`<div>
        <input type="checkbox" id="sku-${i}" name="skuIds" value="${s.sku_id}" /><label for="sku-${i}"
          >${licenseDisplayName(s.sku_id, String(d.skuPartNumber ?? ''))}
          <span class="muted">(${String(d.available ?? '?')} free)</span></label
        >
      </div>`;
    })}
  </fieldset>`;
  switch (kind) {
    case 'offboard':
      return html`${userPicker}
        <fieldset>
          <legend>Steps</legend>
          ${OFFBOARD_STEPS.map(
            ([value, label, on]) =>
              html`<div>
                <input type="checkbox" id="st-${value}" name="steps" value="${value}" ${on ? html` checked` : ''} /><label for="st-${value}"
                  >${label}</label
                >
              </div>`,
          )}
        </fieldset>
        <div><label for="f-reply">Automatic reply (optional)</label><input id="f-reply" name="autoReply" maxlength="2000" /></div>
        <div>
          <label for="f-delete">Delete the user after this many days (optional; restorable for 30 days)</label
          ><input id="f-delete" name="deleteAfterDays" type="number" min="0" max="365" />
        </div>
        <fieldset>
          <legend>Overrides (docsync refuses these accounts otherwise)</legend>
          ${['guest', 'excluded', 'partner'].map(
            (o) => html`<div><input type="checkbox" id="ov-${o}" name="overrides" value="${o}" /><label for="ov-${o}">${o}</label></div>`,
          )}
        </fieldset>`;
    case 'onboard':
      return html`<div><label for="f-dn">Display name</label><input id="f-dn" name="displayName" required maxlength="200" /></div>
        <div><label for="f-gn">First name</label><input id="f-gn" name="givenName" maxlength="200" /></div>
        <div><label for="f-sn">Last name</label><input id="f-sn" name="surname" maxlength="200" /></div>
        <div>
          <label for="f-upn">User principal name (a verified domain)</label
          ><input id="f-upn" name="userPrincipalName" required maxlength="200" placeholder="first.last@domain" />
        </div>
        <div>
          <label for="f-loc">Usage location (two letters, needed before licensing)</label
          ><input id="f-loc" name="usageLocation" required maxlength="2" pattern="[A-Za-z]{2}" />
        </div>
        <div><label for="f-job">Job title</label><input id="f-job" name="jobTitle" maxlength="200" /></div>
        <div><label for="f-dep">Department</label><input id="f-dep" name="department" maxlength="200" /></div>
        ${skuChoices} ${groups ? groupPicker(groups) : ''}`;
    case 'license_assign':
    case 'license_remove':
      return html`${userPicker}${skuChoices}`;
    case 'license_reclaim':
      return html`<p>
          Leave the users empty to reclaim from every licensed user Microsoft says, when you preview, is disabled, or has not signed in for
          the days below.
        </p>
        <div>
          <label for="f-users">User ids or UPNs (optional, one per line)</label
          ><textarea id="f-users" name="userIdsText" rows="3">${userId}</textarea>
        </div>
        <div>
          <input type="checkbox" id="f-disabled" name="disabled" value="true" checked /><label for="f-disabled"
            >Disabled but licensed</label
          >
        </div>
        <div>
          <label for="f-days">No sign-in for this many days (optional)</label
          ><input id="f-days" name="inactiveDays" type="number" min="1" max="3650" />
        </div>`;
    case 'password_rotation':
      return html`${userPicker}`;
  }
}

function requestFromForm(tenantId: string, kind: ActionKind, form: Form): Omit<ActionRequest, 'preview'> {
  const userIds = [...many(form, 'userIds'), ...one(form, 'userIdsText').split(/\s+/).filter(Boolean)];
  const input: Record<string, unknown> = {};
  const number = (key: string) => {
    const raw = one(form, key);
    if (!raw) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new BadInput(`${key} must be a whole number`);
    return n;
  };
  if (kind === 'offboard') {
    input.steps = many(form, 'steps');
    if (one(form, 'autoReply')) input.autoReply = one(form, 'autoReply');
    if (number('deleteAfterDays') !== undefined) input.deleteAfterDays = number('deleteAfterDays');
    if (many(form, 'overrides').length) input.overrides = many(form, 'overrides');
  } else if (kind === 'onboard') {
    for (const key of ['displayName', 'givenName', 'surname', 'userPrincipalName', 'usageLocation', 'jobTitle', 'department'])
      if (one(form, key)) input[key] = one(form, key);
    if (many(form, 'skuIds').length) input.skuIds = many(form, 'skuIds');
    const groups = [...many(form, 'groupIds'), ...one(form, 'groupIdsText').split(/\s+/).filter(Boolean)];
    if (groups.length) input.groupIds = [...new Set(groups)];
  } else if (kind === 'license_assign' || kind === 'license_remove') {
    input.skuIds = many(form, 'skuIds');
  } else if (kind === 'license_reclaim' && userIds.length === 0) {
    input.criteria = {
      disabled: one(form, 'disabled') === 'true',
      ...(number('inactiveDays') ? { inactiveDays: number('inactiveDays') } : {}),
    };
  }
  return { kind, tenantId, userIds, input };
}

function kindOf(value: string): ActionKind {
  if (!ACTION_KINDS.includes(value as ActionKind)) throw new BadInput(`kind must be one of ${ACTION_KINDS.join(', ')}`);
  return value as ActionKind;
}

export const actionPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const microsoft = createMicrosoft({ config: ctx.config, db: ctx.database.db, secrets: ctx.secrets, log: ctx.log, clock: ctx.clock });
  const deps = actionDepsFor(ctx, microsoft);
  const db = ctx.database.db;
  const page = (reply: FastifyReply, principal: Principal, title: string, body: SafeHtml, status = 200) =>
    sendPage(reply, status, layout({ title, principal, section: 'organizations', body }));

  app.get('/tenants/:id/actions', { config: { access: 'signedIn', page: true }, schema: { params: IdParams } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const tenant = await getTenant(db, request.params.id);
    const [actions, actor, schedules] = await Promise.all([
      listTenantActions(db, tenant.id),
      actorOf(db, principal),
      listTenantRotationSchedules(deps, tenant.id),
    ]);
    const settings = await integrationSettings(db, tenant.integration_id);
    const roleIds =
      tenant.access_kind === 'direct'
        ? null
        : (tenant.roles as Array<{ id?: string } | string>).map((r) => (typeof r === 'string' ? r : String(r.id ?? '')));
    const allowed = actionsAllowed(roleIds);
    const possible = html`<section aria-labelledby="allowed-title">
      <h2 id="allowed-title">What this tenant's GDAP roles allow</h2>
      ${
        actionsEnabled(settings)
          ? ''
          : html`<p class="banner warn">Actions are off for this integration: an administrator enables them.</p>`
      }
      <ul>
        ${ACTION_KINDS.map(
          (k) =>
            html`<li>
              ${TITLES[k]}:
              ${
                allowed[k]
                  ? 'allowed'
                  : html`<strong>not allowed</strong> <span class="muted">(a role is missing in the relationship)</span>`
              }
            </li>`,
        )}
      </ul>
    </section>`;
    const body = html`<p><a href="/tenants/${tenant.id}/contacts">← Contacts of ${name(tenant.display_name)}</a></p>
      <h1>Lifecycle actions in ${name(tenant.display_name)}</h1>
      ${
        mayAct(actor)
          ? html`<ul class="actions-menu">
              ${(['onboard', 'license_reclaim', 'offboard', 'password_rotation', 'license_assign', 'license_remove'] as ActionKind[]).map(
                (k) => html`<li><a href="/tenants/${tenant.id}/actions/new?kind=${k}">${TITLES[k]}</a></li>`,
              )}
            </ul>`
          : html`<p class="muted">Your account may not act; an administrator can allow it.</p>`
      }
      ${possible} ${rotationSection(tenant.id, schedules, mayAct(actor))}
      <h2>History</h2>
      ${
        actions.length === 0
          ? emptyState('No action yet in this tenant.')
          : html`<table>
              <caption class="visually-hidden">
                Actions
              </caption>
              <thead>
                <tr>
                  <th scope="col">Requested</th>
                  <th scope="col">Action</th>
                  <th scope="col">Status</th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                ${actions.map(
                  (a) =>
                    html`<tr>
                      <td>${when(a.createdAt)}</td>
                      <td><a href="/actions/${a.id}">${a.summary}</a></td>
                      <td>${badge('state', a.status)}</td>
                      <td>${a.requestedBy}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`;
    return page(reply, principal, `Actions of ${tenant.display_name.slice(0, 80)}`, body);
  });

  app.get(
    '/tenants/:id/actions/new',
    {
      config: { access: 'technician', page: true },
      schema: {
        params: IdParams,
        querystring: Type.Object({ kind: Type.String({ maxLength: 40 }), userId: Type.Optional(Type.String({ maxLength: 200 })) }),
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const kind = kindOf(request.query.kind);
      const userId = request.query.userId ?? '';
      const body = html`<p><a href="/tenants/${tenant.id}/actions">← Actions of ${name(tenant.display_name)}</a></p>
        <h1>${TITLES[kind]} in ${name(tenant.display_name)}</h1>
        <p>Nothing changes until you confirm: the next page shows every step and its effect.</p>
        <form class="stacked" method="post" action="/tenants/${tenant.id}/actions/preview">
          ${csrf(principal)}<input type="hidden" name="kind" value="${kind}" /> ${await formFields(
            ctx,
            tenant.id,
            kind,
            userId,
            kind === 'onboard' ? await onboardGroups(deps, tenant.id) : null,
          )}
          <div><button type="submit">Preview</button></div>
        </form>`;
      return page(reply, principal, TITLES[kind], body);
    },
  );

  /** The preview: every step and its effect; the confirmation form (typed word for destructive kinds). */
  async function previewPage(
    reply: FastifyReply,
    principal: Principal,
    tenant: { id: string; display_name: string },
    kind: ActionKind,
    wanted: Omit<ActionRequest, 'preview'>,
    error?: string,
  ) {
    const preview = await requestAction(deps, await actorOf(db, principal), { ...wanted, kind, preview: true });
    const blocked = preview.steps.some((s) => s.status === 'blocked');
    const word = confirmationWord(kind);
    const confirm =
      blocked || preview.steps.length === 0
        ? html`<p class="banner bad" role="alert">
            ${
              preview.steps.length === 0
                ? 'Nothing to do.'
                : 'Some steps cannot run (marked blocked): change the action or fix what they say, then preview again.'
            }
          </p>`
        : html`<form class="stacked" method="post" action="/tenants/${tenant.id}/actions/run">
            ${csrf(principal)}<input type="hidden" name="request" value="${JSON.stringify(wanted)}" />
            ${error ? html`<p class="banner bad" role="alert" id="confirm-error">${error}</p>` : ''}
            ${
              DESTRUCTIVE.has(kind)
                ? html`<div>
                    <label for="f-confirm">This cannot be undone by docsync. Type <strong>${word}</strong> to confirm</label
                    ><input
                      id="f-confirm"
                      name="confirmation"
                      required
                      autocomplete="off"
                      ${error ? html` aria-describedby="confirm-error"` : ''}
                    />
                  </div>`
                : ''
            }
            <div><button type="submit" class="${DESTRUCTIVE.has(kind) ? 'danger' : ''}">Run ${TITLES[kind].toLowerCase()}</button></div>
          </form>`;
    const body = html`<p><a href="/tenants/${tenant.id}/actions">← Actions of ${name(tenant.display_name)}</a></p>
      <h1>Preview: ${TITLES[kind]}</h1>
      <p>${preview.summary}</p>
      ${stepsTable(preview)}${confirm}`;
    return page(reply, principal, `Preview: ${TITLES[kind]}`, body, error ? 400 : 200);
  }

  app.post(
    '/tenants/:id/actions/preview',
    { config: { access: 'technician', page: true }, schema: { params: IdParams } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const form = (request.body ?? {}) as Form;
      const kind = kindOf(one(form, 'kind'));
      return previewPage(reply, principal, tenant, kind, requestFromForm(tenant.id, kind, form));
    },
  );

  app.post(
    '/tenants/:id/actions/run',
    { config: { access: 'technician', page: true }, schema: { params: IdParams } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const form = (request.body ?? {}) as Form;
      let wanted: Omit<ActionRequest, 'preview'>;
      try {
        wanted = JSON.parse(one(form, 'request')) as Omit<ActionRequest, 'preview'>;
      } catch {
        throw new BadInput('The confirmation form was damaged: preview the action again.');
      }
      const kind = kindOf(wanted.kind);
      if (wanted.tenantId !== tenant.id) throw new BadInput('The confirmation form names another tenant: preview the action again.');
      if (DESTRUCTIVE.has(kind) && one(form, 'confirmation') !== confirmationWord(kind)) {
        // The preview again (from current Microsoft data), saying why nothing ran.
        return previewPage(
          reply,
          principal,
          tenant,
          kind,
          wanted,
          `Type ${confirmationWord(kind)} exactly to confirm; nothing was changed.`,
        );
      }
      try {
        await requireFreshSecondFactor({ db, clock: ctx.clock }, principal);
      } catch (error) {
        // Nothing ran: confirm the second factor, then start again from the tenant's actions.
        if (error instanceof FreshSecondFactorRequired) {
          return reply.redirect(`/account/verify?next=${encodeURIComponent(`/tenants/${tenant.id}/actions`)}`, 303);
        }
        throw error;
      }
      const action = await requestAction(deps, await actorOf(db, principal), { ...wanted, kind, preview: false });
      return reply.redirect(`/actions/${action.id}`, 303);
    },
  );

  app.get(
    '/actions/:id',
    { config: { access: 'signedIn', page: true }, schema: { params: Type.Object({ id: Uuid }) } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const action = await getAction(db, request.params.id);
      const tenant = await getTenant(db, action.tenantId);
      const ongoing = action.status === 'queued' || action.status === 'running';
      const body = html`<p><a href="/tenants/${tenant.id}/actions">← Actions of ${name(tenant.display_name)}</a></p>
        <h1>${TITLES[action.kind as ActionKind] ?? action.kind}: ${badge('state', action.status)}</h1>
        <p>${action.summary} <span class="muted">— requested by ${action.requestedBy}, ${when(action.createdAt)}</span></p>
        ${
          action.error ? html`<p class="banner bad" role="alert">${action.error.message}. What to do: ${action.error.action ?? ''}</p>` : ''
        }
        ${stepsTable(action)}${
          ongoing
            ? html`<p>
                <a href="/actions/${action.id}">Refresh</a>
                <span class="muted">(the workers run it; closing this page does not stop it)</span>
              </p>`
            : ''
        }
        ${
          (action.status === 'failed' || action.status === 'partial') && mayAct(await actorOf(db, principal))
            ? html`<p>
                <button data-api="POST /api/actions/${action.id}/resume" data-done="Action queued again." data-follow>
                  Resume at the failed step
                </button>
              </p>`
            : ''
        }`;
      return page(reply, principal, `Action ${action.kind}`, body);
    },
  );
};
