// The page frame: navigation, the CSRF token for the page script, a live region for messages.
import { html, SafeHtml } from '../html.ts';
import type { Principal } from '../../auth/roles.ts';
import { roleAllows, type Access } from '../../auth/roles.ts';

export type Section = 'organizations' | 'integrations' | 'sync-runs' | 'account' | 'api-docs' | 'none';

const NAV: Array<{ section: Section; href: string; label: string }> = [
  { section: 'organizations', href: '/organizations', label: 'Organizations ↔ tenants' },
  { section: 'integrations', href: '/integrations', label: 'Integrations' },
  { section: 'sync-runs', href: '/sync-runs', label: 'Sync runs' },
  { section: 'account', href: '/account', label: 'Account' },
  { section: 'api-docs', href: '/api/docs', label: 'API' },
];

export function layout(options: { title: string; principal: Principal | null; section: Section; body: SafeHtml }): string {
  const { principal } = options;
  const nav = principal
    ? html`<nav aria-label="Main"><ul>${NAV.map((item) => html`<li><a href="${item.href}"${item.section === options.section ? new SafeHtml(' aria-current="page"') : ''}>${item.label}</a></li>`)}</ul></nav>
      <div class="who"><span>Signed in as <bdi>${principal.displayName ?? principal.username}</bdi> <span class="muted">(${principal.role.replace('_', '-')})</span></span>
      <form method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${principal.csrfToken ?? ''}"><button type="submit">Sign out</button></form></div>`
    : html``;
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · docsync</title><meta name="csrf-token" content="${principal?.csrfToken ?? ''}">
<link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">docsync</span>${nav}</header>
<main id="main" tabindex="-1"><div id="flash" class="flash" role="status" aria-live="polite" tabindex="-1" hidden></div>${options.body}</main></body></html>`}`;
}

export function can(principal: Principal | null, access: Access): boolean {
  return !!principal && roleAllows(principal.role, access);
}

export function badge(kind: string, value: string): SafeHtml {
  return html`<span class="badge ${kind}-${value.replace(/[^a-z_]/g, '')}">${value.replace('_', ' ')}</span>`;
}

export function emptyState(title: string, ...next: Array<SafeHtml | string>): SafeHtml {
  return html`<div class="empty"><p><strong>${title}</strong></p>${next.map((line) => html`<p>${line}</p>`)}</div>`;
}

/** Page links that keep the current filters. */
export function pager(basePath: string, query: Record<string, string | number | undefined>, page: number, pageSize: number, total: number): SafeHtml {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const link = (p: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '' && k !== 'page') params.set(k, String(v));
    params.set('page', String(p));
    return `${basePath}?${params.toString()}`;
  };
  return html`<nav class="pager" aria-label="Pages">${page > 1 ? html`<a href="${link(page - 1)}" rel="prev">← Previous</a>` : ''}<span>Page ${page} of ${pages} · ${total} in all</span>${page < pages ? html`<a href="${link(page + 1)}" rel="next">Next →</a>` : ''}</nav>`;
}
