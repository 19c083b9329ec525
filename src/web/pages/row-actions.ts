// One action menu per row ("Manage" in IT Glue): a <details> disclosure, so it opens with Enter or
// Space and works without script, holding the links into Microsoft's portals and docsync's own actions
// for that row. One tab stop per row instead of one per action. static/app.js adds Escape to close it
// and closes the other open menus.
import { html, type SafeHtml } from '../html.ts';
import type { PortalLink } from '../../microsoft/portal-links.ts';

export interface RowAction {
  label: string;
  href: string;
}

/** Links that open in Microsoft's portal, in a new tab (said to screen readers too). */
function portalItems(links: PortalLink[]): SafeHtml[] {
  return links.map(
    (l) =>
      html`<li>
        <a href="${l.url}" target="_blank" rel="noopener noreferrer" data-portal="${l.portal}"
          >${l.label}<span class="visually-hidden"> (opens Microsoft's portal in a new tab)</span></a
        >
      </li>`,
  );
}

/**
 * The menu itself: `summary` names it, `subject` tells screen readers whose menu it is (the row's
 * name). Nothing at all when there is nothing to offer.
 */
export function actionMenu(options: {
  summary: string;
  subject: string;
  portalLinks?: PortalLink[];
  actions?: RowAction[];
  className?: string;
}): SafeHtml | '' {
  const portals = options.portalLinks ?? [];
  const actions = options.actions ?? [];
  if (portals.length === 0 && actions.length === 0) return '';
  return html`<details class="menu${options.className ? ` ${options.className}` : ''}">
    <summary>${options.summary}<span class="visually-hidden"> for ${options.subject.slice(0, 200)}</span></summary>
    <div class="menu-panel">
      ${
        portals.length
          ? html`<p class="menu-heading">Manage in Microsoft</p>
              <ul>
                ${portalItems(portals)}
              </ul>`
          : ''
      }
      ${
        actions.length
          ? html`<p class="menu-heading">docsync</p>
              <ul>
                ${actions.map((a) => html`<li><a href="${a.href}">${a.label}</a></li>`)}
              </ul>`
          : ''
      }
    </div>
  </details>`;
}

/** The last column of a user or device row: its action menu (an empty cell when there is nothing to offer). */
export function rowActionsCell(subject: string, portalLinks: PortalLink[], actions: RowAction[]): SafeHtml {
  return html`<td class="row-actions">${actionMenu({ summary: 'Manage', subject, portalLinks, actions })}</td>`;
}

/** The tenant's "Manage in Microsoft" menu for a page header (nothing when the cloud has no documented portal). */
export function manageInMicrosoftMenu(subject: string, portalLinks: PortalLink[]): SafeHtml | '' {
  return actionMenu({ summary: 'Manage in Microsoft', subject, portalLinks, className: 'page-menu' });
}

/** docsync's lifecycle actions for one user, for technicians (the pages of action-pages.ts). */
export function userLifecycleActions(tenantId: string, userId: string): RowAction[] {
  const base = `/tenants/${tenantId}/actions/new`;
  const user = encodeURIComponent(userId);
  return [
    { label: 'Offboard', href: `${base}?kind=offboard&userId=${user}` },
    { label: 'Rotate password', href: `${base}?kind=password_rotation&userId=${user}` },
    { label: 'Reclaim licences', href: `${base}?kind=license_reclaim&userId=${user}` },
  ];
}
