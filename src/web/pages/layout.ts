// The page frame: navigation, the CSRF token for the page script, a live region for messages.
import { html, name, SafeHtml } from '../html.ts';
import type { Principal } from '../../auth/roles.ts';
import { roleAllows, type Access } from '../../auth/roles.ts';

export type Section =
  'home' | 'organizations' | 'tenants' | 'reports' | 'integrations' | 'sync-runs' | 'account' | 'audit' | 'api-docs' | 'none';

const NAV: Array<{ section: Section; href: string; label: string; access?: Access }> = [
  { section: 'home', href: '/', label: 'Home' },
  { section: 'organizations', href: '/organizations', label: 'Organizations' },
  { section: 'tenants', href: '/tenants', label: 'Tenants ↔ organizations' },
  { section: 'reports', href: '/reports', label: 'Reports' },
  { section: 'integrations', href: '/integrations', label: 'Integrations' },
  { section: 'sync-runs', href: '/sync-runs', label: 'Sync runs' },
  { section: 'account', href: '/account', label: 'Account' },
  { section: 'audit', href: '/audit', label: 'Audit log', access: 'administrator' },
  { section: 'api-docs', href: '/api/docs', label: 'API' },
];

export function layout(options: {
  title: string;
  principal: Principal | null;
  section: Section;
  body: SafeHtml;
  search?: string;
  /** Extra head elements (a live page's no-script refresh). */
  head?: SafeHtml;
}): string {
  const { principal } = options;
  const nav = principal
    ? html`<form class="search" method="get" action="/search" role="search">
          <label class="visually-hidden" for="site-search">Search every customer</label
          ><input
            id="site-search"
            name="q"
            type="search"
            value="${options.search ?? ''}"
            maxlength="200"
            placeholder="Search organizations, contacts, devices…"
            autocomplete="off"
          /><button type="submit">Search</button>
        </form>
        <nav aria-label="Main">
          <ul>
            ${NAV.filter(shownTo(principal)).map(
              (item) =>
                html`<li>
                  <a href="${item.href}" ${item.section === options.section ? new SafeHtml(' aria-current="page"') : ''}>${item.label}</a>
                </li>`,
            )}
          </ul>
        </nav>
        <div class="who">
          <span
            >Signed in as <bdi>${principal.displayName ?? principal.username}</bdi>
            <span class="muted">(${principal.role.replace('_', '-')})</span></span
          >
          <form method="post" action="/sign-out">
            <input type="hidden" name="_csrf" value="${principal.csrfToken ?? ''}" /><button type="submit">Sign out</button>
          </form>
        </div>`
    : html``;
  return `<!doctype html>${html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${options.title} · docsync</title>
      <meta name="csrf-token" content="${principal?.csrfToken ?? ''}" />
      <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
      <link rel="stylesheet" href="/static/app.css" />
      <script src="/static/app.js" defer></script>
      ${options.head ?? ''}
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top"><span class="brand">docsync</span>${nav}</header>
      <main id="main" tabindex="-1">
        <div id="flash" class="flash" role="status" aria-live="polite" tabindex="-1" hidden></div>
        ${options.body}
      </main>
    </body>
  </html>`}`;
}

/** A session that may only enrol a second factor is shown the Account link alone. */
const shownTo = (principal: Principal) => (item: { section: Section; access?: Access }) =>
  (!principal.enrolmentOnly || item.section === 'account') && roleAllows(principal.role, item.access ?? 'signedIn');

export function can(principal: Principal | null, access: Access): boolean {
  return !!principal && roleAllows(principal.role, access);
}

export function badge(kind: string, value: string): SafeHtml {
  return html`<span class="badge ${kind}-${value.replace(/[^a-z_]/g, '')}">${value.replace('_', ' ')}</span>`;
}

export function emptyState(title: string, ...next: Array<SafeHtml | string>): SafeHtml {
  return html`<div class="empty">
    <p><strong>${title}</strong></p>
    ${next.map((line) => html`<p>${line}</p>`)}
  </div>`;
}

/** Page links that keep the current filters. */
export function pager(
  basePath: string,
  query: Record<string, string | number | undefined>,
  page: number,
  pageSize: number,
  total: number,
): SafeHtml {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const link = (p: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '' && k !== 'page') params.set(k, String(v));
    params.set('page', String(p));
    return `${basePath}?${params.toString()}`;
  };
  return html`<nav class="pager" aria-label="Pages">
    ${page > 1 ? html`<a href="${link(page - 1)}" rel="prev">← Previous</a>` : ''}<span>Page ${page} of ${pages} · ${total} in all</span
    >${page < pages ? html`<a href="${link(page + 1)}" rel="next">Next →</a>` : ''}
  </nav>`;
}

/** A date (no time) in words, e.g. "10 December 2026": used where a day is what matters (expiries). */
export function day(value: string | Date): SafeHtml {
  const date = new Date(value);
  const words = date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return html`<time datetime="${date.toISOString().slice(0, 10)}">${words}</time>`;
}

export interface SecretNotice {
  integrationId: string;
  integrationName: string;
  expiresAt: string;
  daysLeft: number;
  expired: boolean;
}

/**
 * The client-secret banner (issue 5: reminders 30 and 7 days ahead, and once expired). Administrators
 * get the link to where the new secret goes; others are told whom to ask.
 */
export function secretExpiryBanner(notices: SecretNotice[], principal: Principal | null): SafeHtml | string {
  if (notices.length === 0) return '';
  const admin = can(principal, 'administrator');
  const line = (n: SecretNotice) => {
    const what = n.expired
      ? html`The client secret of <a href="/integrations/${n.integrationId}">${name(n.integrationName)}</a> expired on ${day(n.expiresAt)},
          so its syncs fail:`
      : html`The client secret of <a href="/integrations/${n.integrationId}">${name(n.integrationName)}</a> expires on ${day(n.expiresAt)}
          (in ${n.daysLeft} day${n.daysLeft === 1 ? '' : 's'}):`;
    const todo = admin
      ? html`create a new secret in Entra ID and <a href="/integrations/${n.integrationId}#s-secret">paste its value here</a>.`
      : html`ask an administrator to create a new secret in Entra ID and paste its value into the integration.`;
    return html`<li class="${n.expired ? 'expired' : n.daysLeft <= 7 ? 'soon' : 'due'}">${what} ${todo}</li>`;
  };
  const worst = notices.some((n) => n.expired) ? 'bad' : 'warn';
  return html`<section class="banner ${worst}" aria-labelledby="secret-banner-title">
    <h2 id="secret-banner-title">${notices.length === 1 ? 'A client secret needs' : 'Client secrets need'} replacing</h2>
    <ul>
      ${notices.map(line)}
    </ul>
  </section>`;
}
