// Pages of multi-factor sign-in: the second step of signing in, setting up an authenticator
// app (QR code as inline SVG: no script, so the CSP holds), recovery codes shown once,
// confirming a code again for sensitive changes (step-up), and removing the authenticator.
// Plain HTML forms with the session's CSRF token: nothing here needs the page script.
import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { Principal } from '../../auth/roles.ts';
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  pendingTotpEnrolment,
  readSecuritySettings,
  regenerateRecoveryCodes,
  removeSecondFactors,
  secondFactorMethods,
  SIGN_IN_CHALLENGE_COOKIE,
  unusedRecoveryCodeCount,
  verifySecondFactor,
  type TotpEnrolment,
  findSecondFactors,
  secondFactorsOf,
  signInChallengeOf,
} from '../../auth/mfa.ts';
import { FreshSecondFactorRequired, SignInChallengeExpired } from '../../auth/mfa-errors.ts';
import { listPasskeys, PASSKEY_NAME_MAX, removePasskey, type PasskeySummary } from '../../auth/passkeys.ts';
import { markSecondFactor, restrictSessionToEnrolment, SESSION_COOKIE } from '../../auth/sessions.ts';
import { requireFreshSecondFactor } from '../../auth/step-up.ts';
import { DocsyncError } from '../../errors.ts';
import { SIGN_IN_RATE_LIMIT } from '../api/sign-in.ts';
import { secondFactorSignIn } from '../api/mfa.ts';
import { requirePrincipal } from '../guards.ts';
import { IdParams } from '../schemas.ts';
import { html, SafeHtml, when } from '../html.ts';
import { safeNext, sendPage } from './account-pages.ts';
import { layout } from './layout.ts';

const NextQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) });
const CodeForm = Type.Object({
  method: Type.Union([Type.Literal('totp'), Type.Literal('recovery')]),
  code: Type.String({ maxLength: 64 }),
  next: Type.Optional(Type.String({ maxLength: 2000 })),
  _csrf: Type.Optional(Type.String({ maxLength: 200 })),
});

const flash = (message: string | null) => (message ? html`<p class="flash error" role="alert">${message}</p>` : '');
const csrfField = (principal: Principal) => html`<input type="hidden" name="_csrf" value="${principal.csrfToken ?? ''}" />`;

/** The two ways to give a second factor, as two small forms posting to the same place. */
function codeForms(action: string, next: string, hidden: SafeHtml | string, submitLabel: string): SafeHtml {
  return html`<form method="post" action="${action}" class="stack">
      ${hidden} <input type="hidden" name="next" value="${next}" /><input type="hidden" name="method" value="totp" />
      <div>
        <label for="code">6-digit code from your authenticator app</label>
        <input
          id="code"
          name="code"
          inputmode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9 ]{6,7}"
          maxlength="7"
          required
          autofocus
        />
      </div>
      <div><button type="submit">${submitLabel}</button></div>
    </form>
    <details class="recovery">
      <summary>Lost your phone? Use a recovery code</summary>
      <form method="post" action="${action}" class="stack">
        ${hidden} <input type="hidden" name="next" value="${next}" /><input type="hidden" name="method" value="recovery" />
        <div>
          <label for="recovery-code">Recovery code</label
          ><input id="recovery-code" name="code" autocomplete="off" maxlength="40" required />
        </div>
        <div><button type="submit" class="secondary">Use recovery code</button></div>
      </form>
      <p class="muted">Each recovery code works once. Then set up your authenticator again on the Account page.</p>
    </details>`;
}

const passkeyScript = html`<script src="/static/passkeys.js" defer></script>`;

/** A button that runs a passkey ceremony (static/passkeys.js), then goes to `next`. */
function passkeyForm(ceremony: 'second-step' | 'step-up', next: string, label: string): SafeHtml {
  return html`<form class="stack passkey" data-passkey="${ceremony}" data-next="${next}">
      <p class="flash error" role="alert" data-passkey-message hidden></p>
      <div><button type="submit">${label}</button></div>
    </form>
    ${passkeyScript}`;
}

/** The account's passkeys: each with a remove button (step-up), and a form to add one by name. */
function passkeySection(principal: Principal, passkeys: PasskeySummary[]): SafeHtml {
  return html`<h2>Passkeys and security keys</h2>
    ${
      passkeys.length
        ? html`<ul class="passkeys">
            ${passkeys.map(
              (p) =>
                html`<li>
                  <strong>${p.name}</strong>
                  <span class="muted">added ${when(p.createdAt)}${p.lastUsedAt ? html`, last used ${when(p.lastUsedAt)}` : ''}</span>
                  <form method="post" action="/account/mfa/passkeys/${p.id}/remove" class="inline">
                    ${csrfField(principal)}<button type="submit" class="danger" aria-label="Remove passkey ${p.name}">Remove</button>
                  </form>
                </li>`,
            )}
          </ul>`
        : html`<p>A passkey signs you in with your fingerprint, face, device PIN or a security key, and cannot be phished.</p>`
    }
    <form class="stack" data-passkey="register" data-next="/account/mfa">
      <p class="flash error" role="alert" data-passkey-message hidden></p>
      <div>
        <label for="passkey-name">Name for the new passkey</label>
        <input id="passkey-name" name="name" maxlength="${PASSKEY_NAME_MAX}" required placeholder="Work laptop, YubiKey…" />
      </div>
      <div><button type="submit">Add a passkey</button></div>
    </form>
    ${passkeyScript}`;
}

/** The key grouped in fours, as authenticator apps show it, for typing it in by hand. */
const groupedKey = (secret: string) => secret.replace(/(.{4})(?=.)/g, '$1 ');

function enrolmentBody(principal: Principal, enrolment: TotpEnrolment, message: string | null): SafeHtml {
  return html`<h1>Set up an authenticator app</h1>
    ${flash(message)}
    <ol class="steps">
      <li>Open an authenticator app on your phone (Microsoft Authenticator, Google Authenticator, 1Password, …) and add an account.</li>
      <li>
        <p>Scan this QR code:</p>
        <figure class="qr" role="img" aria-label="QR code of your docsync sign-in key">${new SafeHtml(enrolment.qrSvg)}</figure>
        <p>
          Or type the key: <code class="secret-key">${groupedKey(enrolment.secret)}</code>
          <span class="muted">(time-based, 6 digits, every 30 seconds)</span>
        </p>
      </li>
      <li>
        <form method="post" action="/account/mfa/totp/confirm" class="stack">
          ${csrfField(principal)}
          <div>
            <label for="code">Enter the 6-digit code the app shows</label>
            <input
              id="code"
              name="code"
              inputmode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9 ]{6,7}"
              maxlength="7"
              required
              autofocus
            />
          </div>
          <div><button type="submit">Confirm and turn on</button></div>
        </form>
      </li>
    </ol>`;
}

const passkeysScript = readFileSync(new URL('../static/passkeys.js', import.meta.url), 'utf8');

export const mfaPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, clock: ctx.clock, secrets: ctx.secrets };
  const actorOf = (principal: Principal) => ({ id: principal.technicianId, label: principal.username });

  /** The second factors of the account whose sign-in is under way (from its cookie); both kinds when unknown. */
  const methodsOf = async (technicianId: string | null) => {
    const row = technicianId ? await findSecondFactors(deps.db, technicianId) : undefined;
    return row ? secondFactorMethods(row) : ['totp', 'webauthn', 'recovery'];
  };
  const signInMethods = async (request: FastifyRequest) => {
    const token = request.cookies[SIGN_IN_CHALLENGE_COOKIE];
    const challenge = token && token.length <= 200 ? await signInChallengeOf(deps.db, token) : undefined;
    return methodsOf(challenge?.technician_id ?? null);
  };
  const factorForms = (methods: string[], action: string, next: string, hidden: SafeHtml | string, label: string) => {
    const ceremony = action === '/sign-in/code' ? 'second-step' : 'step-up';
    return html`${methods.includes('webauthn') ? passkeyForm(ceremony, next, `${label} with a passkey`) : ''}
    ${methods.includes('totp') ? codeForms(action, next, hidden, label) : ''}`;
  };

  const secondStepPage = (next: string, message: string | null, methods: string[]) =>
    layout({
      title: 'Second step of sign-in',
      principal: null,
      section: 'none',
      body: html`<div class="signin">
        <h1>Confirm it's you</h1>
        ${flash(message)}
        <p>Your account is protected with a second factor.</p>
        ${factorForms(methods, '/sign-in/code', next, '', 'Sign in')}
        <p class="muted"><a href="/sign-in">Start again with your password</a></p>
      </div>`,
    });

  app.get('/sign-in/code', { config: { access: 'public', page: true }, schema: { querystring: NextQuery } }, async (request, reply) =>
    sendPage(reply, 200, secondStepPage(safeNext(request.query.next), null, await signInMethods(request))),
  );

  app.post(
    '/sign-in/code',
    { config: { access: 'public', page: true, rateLimit: SIGN_IN_RATE_LIMIT }, schema: { body: CodeForm } },
    async (request, reply) => {
      const next = safeNext(request.body.next);
      try {
        await secondFactorSignIn(ctx, request, reply, { method: request.body.method, code: request.body.code });
        return reply.redirect(next, 303);
      } catch (error) {
        if (error instanceof SignInChallengeExpired) return reply.redirect(`/sign-in?next=${encodeURIComponent(next)}&expired=1`, 303);
        if (error instanceof DocsyncError && error.status < 500)
          return sendPage(reply, error.status, secondStepPage(next, error.message, await signInMethods(request)));
        throw error;
      }
    },
  );

  const accountMfaPage = async (principal: Principal, message: string | null) => {
    const row = await secondFactorsOf(deps.db, principal.technicianId);
    const settings = await readSecuritySettings(deps.db);
    const codesLeft = await unusedRecoveryCodeCount(deps.db, principal.technicianId);
    const passkeyList = await listPasskeys(deps.db, principal.technicianId);
    const hasPasskey = passkeyList.length > 0;
    const passkeys = passkeySection(principal, passkeyList);
    const enrolled = row.totp_confirmed_at !== null;
    const required = settings.mfaRequired
      ? html`<p class="banner warn">
          Your administrator requires a second factor for every
          technician.${principal.enrolmentOnly ? ' Set up an authenticator app to continue.' : ''}
        </p>`
      : '';
    const body = enrolled
      ? html`<h1>Sign-in security</h1>
          ${flash(message)}${required}
          <p><strong>Authenticator app:</strong> on since ${when(row.totp_confirmed_at)}.</p>
          <p><strong>Recovery codes:</strong> ${codesLeft} of 10 unused.${codesLeft <= 3 ? ' Make new ones soon.' : ''}</p>
          <form method="post" action="/account/mfa/recovery-codes" class="inline">
            ${csrfField(principal)}<button type="submit" class="secondary">Make new recovery codes</button>
          </form>
          <form method="post" action="/account/mfa/totp/remove" class="inline">
            ${csrfField(principal)}<button type="submit" class="danger">Remove authenticator app</button>
          </form>
          <p class="muted">
            Changing a role, an integration's secret or these settings asks for a code again when your last one is older than
            ${settings.stepUpMinutes} minutes.
          </p>
          ${passkeys}`
      : html`<h1>Sign-in security</h1>
          ${flash(message)}${required}
          ${
            hasPasskey
              ? html`<p>Your passkeys are your second factor. You can add an authenticator app as well (it comes with recovery codes).</p>`
              : html`<p>
                  Add a second factor: after your password, docsync asks for a 6-digit code from an authenticator app on your phone, or for
                  a passkey. Someone who learns your password still cannot sign in.
                </p>`
          }
          <form method="post" action="/account/mfa/totp">
            ${csrfField(principal)}<button type="submit">Set up authenticator app</button>
          </form>
          ${passkeys}`;
    return layout({ title: 'Sign-in security', principal, section: 'account', body });
  };

  app.get('/account/mfa', { config: { access: 'signedIn', page: true, duringEnrolment: true } }, async (request, reply) =>
    sendPage(reply, 200, await accountMfaPage(requirePrincipal(request), null)),
  );

  app.post('/account/mfa/totp', { config: { access: 'signedIn', page: true, duringEnrolment: true } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    try {
      const enrolment = await beginTotpEnrolment(deps, principal.technicianId);
      return sendPage(
        reply,
        200,
        layout({ title: 'Set up an authenticator app', principal, section: 'account', body: enrolmentBody(principal, enrolment, null) }),
      );
    } catch (error) {
      if (error instanceof DocsyncError && error.status < 500)
        return sendPage(reply, error.status, await accountMfaPage(principal, error.message));
      throw error;
    }
  });

  app.post(
    '/account/mfa/totp/confirm',
    {
      config: { access: 'signedIn', page: true, duringEnrolment: true },
      schema: { body: Type.Object({ code: Type.String({ maxLength: 64 }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      try {
        const codes = await confirmTotpEnrolment(deps, principal.technicianId, request.body.code, actorOf(principal), request.id);
        const token = request.cookies[SESSION_COOKIE];
        if (token) await markSecondFactor(deps, token);
        return sendPage(reply, 200, recoveryCodesPage({ ...principal, enrolmentOnly: false }, codes, 'Your authenticator app is on.'));
      } catch (error) {
        if (!(error instanceof DocsyncError) || error.status >= 500) throw error;
        const pending = await pendingTotpEnrolment(deps, principal.technicianId);
        if (!pending) return sendPage(reply, error.status, await accountMfaPage(principal, error.message));
        return sendPage(
          reply,
          error.status,
          layout({
            title: 'Set up an authenticator app',
            principal,
            section: 'account',
            body: enrolmentBody(principal, pending, error.message),
          }),
        );
      }
    },
  );

  function recoveryCodesPage(principal: Principal, codes: string[], lead: string): string {
    return layout({
      title: 'Your recovery codes',
      principal,
      section: 'account',
      body: html`<h1>Save your recovery codes</h1>
        <p class="flash ok" role="status">${lead}</p>
        <p>
          If you lose your phone, each of these codes signs you in once. Keep them somewhere safe (a password manager).
          <strong>They are not shown again.</strong>
        </p>
        <ul class="recovery-codes">
          ${codes.map((c) => html`<li><code>${c}</code></li>`)}
        </ul>
        <p><a href="/organizations">I saved them, continue</a></p>`,
    });
  }

  /** Sensitive page actions: without a fresh factor, confirm one first and come back. */
  async function withFreshFactor(
    request: FastifyRequest,
    reply: FastifyReply,
    back: string,
    then: (principal: Principal) => Promise<FastifyReply>,
  ): Promise<FastifyReply> {
    const principal = requirePrincipal(request);
    try {
      await requireFreshSecondFactor(deps, principal);
    } catch (error) {
      if (error instanceof FreshSecondFactorRequired) return reply.redirect(`/account/verify?next=${encodeURIComponent(back)}`, 303);
      throw error;
    }
    return then(principal);
  }

  app.post('/account/mfa/recovery-codes', { config: { access: 'signedIn', page: true } }, async (request, reply) =>
    withFreshFactor(request, reply, '/account/mfa', async (principal) => {
      const codes = await regenerateRecoveryCodes(deps, principal.technicianId, actorOf(principal), request.id);
      return sendPage(reply, 200, recoveryCodesPage(principal, codes, 'New recovery codes: the old ones no longer work.'));
    }),
  );

  app.post('/account/mfa/totp/remove', { config: { access: 'signedIn', page: true } }, async (request, reply) =>
    withFreshFactor(request, reply, '/account/mfa', async (principal) => {
      await removeSecondFactors(deps, principal.technicianId, actorOf(principal), {
        action: 'technician.mfa_totp_remove',
        endSessions: false,
        requestId: request.id,
      });
      const token = request.cookies[SESSION_COOKIE];
      if ((await readSecuritySettings(deps.db)).mfaRequired && token) await restrictSessionToEnrolment(deps, token);
      return reply.redirect('/account/mfa', 303);
    }),
  );

  app.get('/static/passkeys.js', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(passkeysScript),
  );

  app.post(
    '/account/mfa/passkeys/:id/remove',
    { config: { access: 'signedIn', page: true }, schema: { params: IdParams } },
    async (request, reply) =>
      withFreshFactor(request, reply, '/account/mfa', async (principal) => {
        await removePasskey(deps, principal.technicianId, request.params.id, actorOf(principal), request.id);
        const left = await secondFactorsOf(deps.db, principal.technicianId);
        const token = request.cookies[SESSION_COOKIE];
        if (secondFactorMethods(left).length === 0 && (await readSecuritySettings(deps.db)).mfaRequired && token)
          await restrictSessionToEnrolment(deps, token);
        return reply.redirect('/account/mfa', 303);
      }),
  );

  const verifyPage = async (principal: Principal, next: string, message: string | null) =>
    layout({
      title: "Confirm it's you",
      principal,
      section: 'account',
      body: html`<div class="signin">
        <h1>Confirm it's you</h1>
        ${flash(message)}
        <p>This change needs a second factor confirmed in the last few minutes.</p>
        ${factorForms(await methodsOf(principal.technicianId), '/account/verify', next, csrfField(principal), 'Confirm')}
      </div>`,
    });

  app.get('/account/verify', { config: { access: 'signedIn', page: true }, schema: { querystring: NextQuery } }, async (request, reply) =>
    sendPage(reply, 200, await verifyPage(requirePrincipal(request), safeNext(request.query.next), null)),
  );

  app.post(
    '/account/verify',
    { config: { access: 'signedIn', page: true, rateLimit: SIGN_IN_RATE_LIMIT }, schema: { body: CodeForm } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const next = safeNext(request.body.next);
      try {
        await verifySecondFactor(deps, principal.technicianId, { method: request.body.method, code: request.body.code }, request.id);
        const token = request.cookies[SESSION_COOKIE];
        if (token) await markSecondFactor(deps, token);
        return reply.redirect(next, 303);
      } catch (error) {
        if (error instanceof DocsyncError && error.status < 500)
          return sendPage(reply, error.status, await verifyPage(principal, next, error.message));
        throw error;
      }
    },
  );
};
