// How a tenant's status reads on its pages: a banner when docsync cannot read the tenant or
// its last sync left something unread, and empty states that say why a list is empty and what
// to do next (instead of one generic "nothing yet").
import { html, type SafeHtml } from '../html.ts';
import { problemsAbout, type TenantProblem, type TenantStatus } from '../services/tenant-status.ts';
import { emptyState } from './layout.ts';

const sentence = (text: string) => {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

type FixFor = (code: string) => SafeHtml | '';

function problemItem(p: TenantProblem, fixFor?: FixFor): SafeHtml {
  return html`<li>
    ${sentence(p.message)}${p.action ? html` <strong>What to do:</strong> ${sentence(p.action)}` : ''}${fixFor?.(p.code) ?? ''}
  </li>`;
}

/** `fixFor`, when given, adds the links to where each problem is fixed (fix-links.ts). */
export function tenantStatusBanner(status: TenantStatus, fixFor?: FixFor): SafeHtml | string {
  if (!status.active) {
    return html`<section class="banner bad" aria-labelledby="tenant-status-title">
      <h2 id="tenant-status-title">docsync cannot read this tenant</h2>
      <ul>
        ${status.problems.map((p) => problemItem(p, fixFor))}
      </ul>
      <p>What was synced before stays as it is.</p>
    </section>`;
  }
  if (status.problems.length === 0) return '';
  const bad = status.problems.some((p) => p.level === 'error');
  const log = status.lastRun ? html` <a href="/sync-runs/${status.lastRun.id}">Open the last sync's log</a>.` : '';
  return html`<section class="banner ${bad ? 'bad' : 'warn'}" aria-labelledby="tenant-status-title">
    <h2 id="tenant-status-title">The last sync could not read everything in this tenant</h2>
    <ul>
      ${status.problems.map((p) => problemItem(p, fixFor))}
    </ul>
    <p>The data read before is kept.${log}</p>
  </section>`;
}

const SYNC_HINT = 'Press "Sync this tenant now" above, or wait for the scheduled sync (hourly by default).';

/**
 * The empty state of a tenant list. `resource` is the sync's word for what the list shows
 * (users, devices, licenses); `what` the page's word; `none` what an empty complete listing means.
 */
export function tenantEmptyState(
  status: TenantStatus,
  resource: string,
  what: string,
  none: { title: string; next: string | SafeHtml },
): SafeHtml {
  // The banner above the list says why and what to do; the empty state only points at it.
  if (!status.active) return emptyState(`No ${what}.`, 'docsync cannot read this tenant: the reason and what to do are above.');
  if (problemsAbout(status, resource).length > 0)
    return emptyState(`No ${what}: the last sync could not read them.`, 'The reason and what to do are above.');
  if (status.neverSynced) return emptyState(`No ${what} yet: this tenant has not been synced.`, SYNC_HINT);
  return emptyState(none.title, none.next);
}
