// Sign in, sign out, first-run setup, the account page (API tokens; technicians for
// administrators), the page script and stylesheet, and the API docs page.
import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../context.ts';
import { authenticate, completeSetup, listTechnicians, setupLinkUsable } from '../../auth/accounts.ts';
import { listApiTokens } from '../../auth/api-tokens.ts';
import { DocsyncError } from '../../errors.ts';
import { destroySession, SESSION_COOKIE } from '../../auth/sessions.ts';
import { startSession, withinSignInBudget } from '../api/sign-in.ts';
import { continueAfterPassword } from '../api/mfa.ts';
import { requirePrincipal } from '../guards.ts';
import { html, name, SafeHtml, when } from '../html.ts';
import { PageQuery } from '../schemas.ts';
import { readSecuritySettings } from '../../auth/mfa.ts';
import { assertPasswordSignInAllowed, ssoEnabled } from '../../auth/sso.ts';
import type { Config } from '../../config.ts';
import { badge, can, emptyState, layout, pager } from './layout.ts';
import { listAuditRows } from '../../stores/audit.ts';

import { auditSubjectNames, auditValueNames } from '../../stores/audit-names.ts';
import { auditDiff, auditSubject } from './audit-view.ts';

const asset = (file: string) => readFileSync(new URL(`../static/${file}`, import.meta.url), 'utf8');

export function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

/**
 * Only a path on this site: never "//evil.example" or a backslash trick, and only printable
 * ASCII (the URLs docsync links to are percent-encoded): a raw "/。" cannot be a Location header.
 */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x5B\x5D-\x7E]*$/.test(next) && next.length < 2000 ? next : '/';
}

/**
 * The sign-in page: "Sign in with Microsoft" when single sign-on is set up, and the password form
 * (in "SSO only" mode folded away, for the break-glass administrator).
 */
export function signInPage(config: Config, next: string, message: string | null, username = ''): string {
  const autofocus = config.sso.only ? '' : new SafeHtml(' autofocus');
  const passwordForm = html`<form method="post" action="/sign-in" class="stack">
    <input type="hidden" name="next" value="${next}" />
    <div>
      <label for="username">Username or email</label>
      <input id="username" name="username" autocomplete="username" required maxlength="320" value="${username}" ${autofocus} />
    </div>
    <div>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256" />
    </div>
    <div><button type="submit" ${ssoEnabled(config) ? new SafeHtml(' class="secondary"') : ''}>Sign in</button></div>
  </form>`;
  const microsoft = ssoEnabled(config)
    ? html`<p><a class="button microsoft" href="/auth/sso/start?next=${encodeURIComponent(next)}">Sign in with Microsoft</a></p>
        ${config.sso.only ? '' : html`<p class="muted or">or with your docsync password</p>`}`
    : '';
  return layout({
    title: 'Sign in',
    principal: null,
    section: 'none',
    body: html`<div class="signin">
      <h1>Sign in to docsync</h1>
      ${message ? html`<p class="flash error" role="alert">${message}</p>` : ''} ${microsoft}
      ${
        config.sso.only
          ? html`<details>
              <summary>Break-glass administrator sign-in</summary>
              ${passwordForm}
            </details>`
          : passwordForm
      }
      <p class="muted">
        No account yet? An administrator creates one on the Account page. On a new installation, open the setup link that
        <code>docsync serve</code> printed.
      </p>
    </div>`,
  });
}

export const accountPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock };
  const script = asset('app.js');
  const styles = asset('app.css');

  app.get('/static/app.js', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(script),
  );
  app.get('/static/app.css', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(styles),
  );
  // Pages link the SVG; /favicon.ico is what browsers and bookmarks ask for without a link.
  const favicon = asset('favicon.svg');
  for (const url of ['/static/favicon.svg', '/favicon.ico'])
    app.get(url, { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(favicon),
    );

  const signInForm = (next: string, message: string | null, username = '') => signInPage(ctx.config, next, message, username);

  app.get(
    '/sign-in',
    {
      config: { access: 'public', page: true },
      schema: {
        querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })), expired: Type.Optional(Type.Literal('1')) }),
      },
    },
    async (request, reply) => {
      if (request.principal) return reply.redirect(safeNext(request.query.next), 303);
      const expired = request.query.expired ? 'That sign-in expired or was already completed. Enter your password again.' : null;
      return sendPage(reply, 200, signInForm(safeNext(request.query.next), expired));
    },
  );

  app.post(
    '/sign-in',
    {
      config: { access: 'public', page: true },
      schema: {
        body: Type.Object({
          username: Type.String({ maxLength: 320 }),
          password: Type.String({ maxLength: 256 }),
          next: Type.Optional(Type.String({ maxLength: 2000 })),
        }),
      },
    },
    async (request, reply) => {
      const next = safeNext(request.body.next);
      try {
        assertPasswordSignInAllowed(ctx.config, request.body.username);
        const technician = await withinSignInBudget(ctx, request, request.body.username, () =>
          authenticate(deps, request.body.username, request.body.password),
        );
        const after = await continueAfterPassword(ctx, request, reply, technician);
        if (after.kind === 'second_factor') return reply.redirect(`/sign-in/code?next=${encodeURIComponent(next)}`, 303);
        return reply.redirect(after.enrolmentOnly ? '/account/mfa' : next, 303);
      } catch (error) {
        if (error instanceof DocsyncError && error.status < 500)
          return sendPage(reply, error.status, signInForm(next, error.message, request.body.username));
        throw error;
      }
    },
  );

  app.post('/sign-out', { config: { access: 'signedIn', page: true, duringEnrolment: true } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await destroySession(deps, token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/sign-in', 303);
  });

  const setupForm = (token: string, message: string | null) =>
    layout({
      title: 'Create the first administrator',
      principal: null,
      section: 'none',
      body: html`<div class="signin">
        <h1>Create the first administrator</h1>
        ${message ? html`<p class="flash error" role="alert">${message}</p>` : ''}
        <form method="post" action="/setup" class="stack">
          <input type="hidden" name="token" value="${token}" />
          <div>
            <label for="username">Username</label
            ><input id="username" name="username" autocomplete="username" required maxlength="64" pattern="[A-Za-z0-9._@\\-]{2,64}" />
          </div>
          <div>
            <label for="email">Email (optional)</label><input id="email" name="email" type="email" autocomplete="email" maxlength="320" />
          </div>
          <div>
            <label for="password">Password (at least 12 characters)</label
            ><input id="password" name="password" type="password" autocomplete="new-password" required minlength="12" maxlength="256" />
          </div>
          <div><button type="submit">Create administrator and sign in</button></div>
        </form>
      </div>`,
    });

  app.get(
    '/setup',
    { config: { access: 'public', page: true }, schema: { querystring: Type.Object({ token: Type.String({ maxLength: 200 }) }) } },
    async (request, reply) => {
      if (!(await setupLinkUsable(deps, request.query.token))) {
        return sendPage(
          reply,
          404,
          layout({
            title: 'Setup link',
            principal: null,
            section: 'none',
            body: emptyState(
              'This setup link was used already or has expired.',
              'Restart docsync serve for a new link, or sign in with the account that was created.',
              html`<a href="/sign-in">Sign in</a>`,
            ),
          }),
        );
      }
      return sendPage(reply, 200, setupForm(request.query.token, null));
    },
  );

  app.post(
    '/setup',
    {
      config: { access: 'public', page: true },
      schema: {
        body: Type.Object({
          token: Type.String({ maxLength: 200 }),
          username: Type.String({ maxLength: 64 }),
          password: Type.String({ maxLength: 256 }),
          email: Type.Optional(Type.String({ maxLength: 320 })),
        }),
      },
    },
    async (request, reply) => {
      try {
        const technician = await withinSignInBudget(ctx, request, undefined, () =>
          completeSetup(
            deps,
            request.body.token,
            { username: request.body.username, password: request.body.password, email: request.body.email || null },
            request.id,
          ),
        );
        await startSession(ctx, reply, technician.id, request.cookies[SESSION_COOKIE]);
        return reply.redirect('/integrations', 303);
      } catch (error) {
        if (error instanceof DocsyncError && error.status < 500)
          return sendPage(reply, error.status, setupForm(request.body.token, error.message));
        throw error;
      }
    },
  );

  app.get('/account', { config: { access: 'signedIn', page: true } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const tokens = await listApiTokens(deps.db, principal.technicianId);
    let admin: SafeHtml | string = '';
    const mfaReset = (t: { id: string; username: string }) =>
      html`authenticator app
        <button
          class="secondary"
          data-api="POST /api/technicians/${t.id}/mfa/reset"
          data-done="Second factor reset: they set it up again at their next sign-in."
        >
          Reset<span class="visually-hidden"> second factor of ${t.username}</span>
        </button>`;
    if (can(principal, 'administrator')) {
      const technicians = await listTechnicians(deps.db);
      const security = await readSecuritySettings(deps.db);
      admin = html`<h2 id="technicians">Technician accounts</h2>
        <table>
          <caption class="visually-hidden">
            Technician accounts
          </caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Second factor</th>
              <th scope="col">Change role</th>
            </tr>
          </thead>
          <tbody>
            ${technicians.map(
              (t) =>
                html`<tr>
                  <td>${name(t.username)}</td>
                  <td>${t.role.replace('_', '-')}</td>
                  <td>
                    ${
                      t.disabled
                        ? badge('state', 'disabled')
                        : t.lockedUntil && new Date(t.lockedUntil) > ctx.clock.now()
                          ? badge('state', 'locked')
                          : 'active'
                    }
                  </td>
                  <td>${when(t.lastLoginAt)}</td>
                  <td>${t.mfaEnrolled ? mfaReset(t) : html`<span class="muted">none</span>`}</td>
                  <td class="actions">
                    ${(['administrator', 'technician', 'read_only'] as const)
                      .filter((r) => r !== t.role)
                      .map(
                        (r) =>
                          html`<button
                            class="secondary"
                            data-api="PATCH /api/technicians/${t.id}"
                            data-body="${JSON.stringify({ role: r })}"
                            data-done="Role changed."
                          >
                            Make ${r.replace('_', '-')}<span class="visually-hidden"> (${t.username})</span>
                          </button>`,
                      )}
                    <button
                      class="danger"
                      data-api="PATCH /api/technicians/${t.id}"
                      data-body="${JSON.stringify({ disabled: !t.disabled })}"
                      data-done="Saved."
                    >
                      ${t.disabled ? 'Enable' : 'Disable'}<span class="visually-hidden"> ${t.username}</span>
                    </button>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        <h3>New technician</h3>
        <form data-api="POST /api/technicians" data-done="Account created." class="filters">
          <div><label for="new-username">Username</label><input id="new-username" name="username" required maxlength="64" /></div>
          <div>
            <label for="new-password">Initial password (12+ characters)</label
            ><input id="new-password" name="password" type="password" autocomplete="new-password" required minlength="12" />
          </div>
          <div>
            <label for="new-role">Role</label
            ><select id="new-role" name="role">
              <option value="technician">technician</option>
              <option value="read_only">read-only</option>
              <option value="administrator">administrator</option>
            </select>
          </div>
          <div><button type="submit">Create account</button></div>
        </form>
        <h3 id="security-settings">Sign-in rules</h3>
        <form data-api="PATCH /api/settings/security" data-done="Sign-in rules saved." class="filters">
          <div>
            <input id="mfa-required" name="mfaRequired" type="checkbox" ${security.mfaRequired ? new SafeHtml(' checked') : ''} />
            <label for="mfa-required">Require a second factor for every technician</label>
          </div>
          <div>
            <label for="step-up-minutes">Ask for a code again after (minutes)</label>
            <input
              id="step-up-minutes"
              name="stepUpMinutes"
              data-type="number"
              type="number"
              min="1"
              max="720"
              required
              value="${security.stepUpMinutes}"
            />
          </div>
          <div><button type="submit">Save sign-in rules</button></div>
        </form>
        <p class="muted">
          Technicians without a second factor are sent to set one up right after their password, and can do nothing else until they have.
        </p>
        ${
          ctx.config.sso.only
            ? html`<p class="banner warn">
                <strong>Single sign-on only.</strong> Technicians sign in with Microsoft; password sign-in is off except for the break-glass
                administrator <bdi>${ctx.config.sso.breakGlassUsername ?? ''}</bdi>, who must use a second factor (settings
                <code>sso.only</code>, <code>sso.breakGlassUsername</code>).
              </p>`
            : ssoEnabled(ctx.config)
              ? html`<p>
                  "Sign in with Microsoft" is on for tenant <code>${ctx.config.sso.tenantId ?? ''}</code>; password sign-in stays available.
                </p>`
              : ''
        }
        <p><a href="/audit">Audit log</a>: every decision and setting change, with who, before and after.</p>`;
    }
    return sendPage(
      reply,
      200,
      layout({
        title: 'Account',
        principal,
        section: 'account',
        body: html`<h1>Account</h1>
          <p>
            You are <strong><bdi>${principal.username}</bdi></strong
            >, role <strong>${principal.role.replace('_', '-')}</strong>.
          </p>
          <p><a href="/account/mfa">Sign-in security</a>: your authenticator app and recovery codes.</p>
          <h2>Personal API tokens</h2>
          <p>
            Scripts call the <a href="/api/docs">JSON API</a> with <code>Authorization: Bearer &lt;token&gt;</code>. A token acts with your
            role; revoke it when the script is retired.
          </p>
          <form data-api="POST /api/me/tokens" data-show-token="new-token" class="filters">
            <div>
              <label for="token-name">Token name</label
              ><input id="token-name" name="name" required maxlength="100" placeholder="nightly report" />
            </div>
            <div><button type="submit">Create token</button></div>
          </form>
          <div id="new-token" class="token" hidden>
            <p>Your new token (shown once):</p>
            <code></code>
          </div>
          ${
            tokens.length === 0
              ? emptyState('No API tokens yet.', 'Create one above when a script needs to read or act through the API.')
              : html`<table>
                  <caption class="visually-hidden">
                    API tokens
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Starts with</th>
                      <th scope="col">Created</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${tokens.map(
                      (t) =>
                        html`<tr>
                          <td>${name(t.name)}</td>
                          <td><code>${t.prefix}…</code></td>
                          <td>${when(t.createdAt)}</td>
                          <td>${when(t.lastUsedAt)}</td>
                          <td>
                            ${
                              t.revokedAt
                                ? html`revoked ${when(t.revokedAt)}`
                                : html`<button class="danger" data-api="DELETE /api/me/tokens/${t.id}" data-done="Token revoked.">
                                    Revoke<span class="visually-hidden"> ${t.name}</span>
                                  </button>`
                            }
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
          }
          ${admin}`,
      }),
    );
  });

  app.get(
    '/audit',
    { config: { access: 'administrator', page: true }, schema: { querystring: Type.Object({ page: PageQuery.page }) } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const pageSize = 100;
      const page = request.query.page;
      const { rows, total } = await listAuditRows(deps.db, { page, pageSize });
      // One lookup for the subjects and the technicians who acted (both read as "technician:<id>").
      const actorsAsSubjects = rows.filter((r) => r.actor_id).map((r) => ({ subject_type: 'technician', subject_id: r.actor_id }));
      const [names, values] = await Promise.all([
        auditSubjectNames(deps.db, [...rows, ...actorsAsSubjects]),
        auditValueNames(deps.db, rows),
      ]);
      return sendPage(
        reply,
        200,
        layout({
          title: 'Audit log',
          principal,
          section: 'audit',
          body: html`<h1>Audit log</h1>
            ${
              rows.length === 0
                ? emptyState('Nothing audited yet.', 'Decisions, integration settings and account changes appear here as they happen.')
                : html`<table>
                      <caption class="visually-hidden">
                        Audit log, newest first
                      </caption>
                      <thead>
                        <tr>
                          <th scope="col">When</th>
                          <th scope="col">Who</th>
                          <th scope="col">What</th>
                          <th scope="col">Subject</th>
                          <th scope="col">Change (before → after)</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${rows.map(
                          (r) =>
                            html`<tr>
                              <td>${when(r.created_at)}</td>
                              <td>${name((r.actor_id && names.get(`technician:${r.actor_id}`)) || r.actor_label)}</td>
                              <td>${r.action.replaceAll('_', ' ').replaceAll('.', ' · ')}</td>
                              <td>${auditSubject(r, names)}</td>
                              <td>${auditDiff(r.before, r.after, values)}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                    ${pager('/audit', {}, page, pageSize, total)}`
            }`,
        }),
      );
    },
  );

  app.get('/api/docs', { config: { access: 'signedIn', page: true } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const doc = (
      app as unknown as { swagger(): { paths: Record<string, Record<string, { summary?: string; tags?: string[] }>> } }
    ).swagger();
    const rows = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        path,
        method: method.toUpperCase(),
        summary: op.summary ?? '',
        tag: op.tags?.[0] ?? '',
      })),
    );
    const tags = [...new Set(rows.map((r) => r.tag))];
    return sendPage(
      reply,
      200,
      layout({
        title: 'API',
        principal,
        section: 'api-docs',
        body: html`<h1>docsync JSON API</h1>
          <p>
            The OpenAPI document is at <a href="/api/openapi.json">/api/openapi.json</a>. Authenticate with a personal API token (<a
              href="/account"
              >Account</a
            >) as <code>Authorization: Bearer dsk_…</code>, or with the browser session plus the <code>X-CSRF-Token</code> header on writes.
            Errors are <code>{"error":{"code","message","requestId"}}</code>.
          </p>
          ${tags.map(
            (tag) =>
              html`<h2>${tag}</h2>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Method</th>
                      <th scope="col">Path</th>
                      <th scope="col">What it does</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${rows
                      .filter((r) => r.tag === tag)
                      .map(
                        (r) =>
                          html`<tr>
                            <td><code>${r.method}</code></td>
                            <td><code>${r.path}</code></td>
                            <td>${r.summary}</td>
                          </tr>`,
                      )}
                  </tbody>
                </table>`,
          )}`,
      }),
    );
  });
};
