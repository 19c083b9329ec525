// The inactivity state with its evidence and the app activity of one user, for the user page.
import { html, when, type SafeHtml } from '../html.ts';
import { badge } from './layout.ts';
import type { Inactivity } from '../../reports/inactivity.ts';
import type { Overlay } from '../services/tenant-contents.ts';

const STATE_TEXT: Record<Inactivity['state'], string> = {
  active: 'active',
  inactive: 'inactive',
  disabled: 'disabled',
  unknown: 'unknown',
};

export function inactivityView(inactivity: Inactivity | null): SafeHtml {
  if (!inactivity) return html`<span class="muted">unknown</span>`;
  const { state, inactiveDays, lastSeen, evidence, missing } = inactivity;
  const summary =
    state === 'disabled'
      ? html`${badge('state', 'disabled')} the account is disabled`
      : state === 'unknown'
        ? html`<span class="muted">unknown: no source docsync can read says when this user was last seen</span>`
        : state === 'inactive'
          ? html`<strong class="warn-text">${STATE_TEXT[state]}</strong>: not seen for ${inactiveDays} days`
          : html`${STATE_TEXT[state]}${lastSeen ? '' : html` (new account, created within ${inactiveDays} days)`}`;
  return html`${summary}
  ${
    evidence.length
      ? html`<ul>
          ${evidence.slice(0, 8).map((e) => html`<li>${e.label}: ${when(e.at)}</li>`)}
        </ul>`
      : html`<br /><span class="muted">no sign-in, app activity or device check-in on record</span>`
  }
  ${
    missing.length
      ? html`<ul class="muted">
          ${missing.map((m) => html`<li>${m.reason}</li>`)}
        </ul>`
      : ''
  }`;
}

const SERVICES: Array<[string, string]> = [
  ['exchange', 'Exchange'],
  ['oneDrive', 'OneDrive'],
  ['sharePoint', 'SharePoint'],
  ['teams', 'Teams'],
  ['yammer', 'Viva Engage (Yammer)'],
  ['skype', 'Skype for Business'],
];

export function appActivityView(activity: Overlay['appActivity']): SafeHtml {
  if (!activity) return html`<span class="muted">not in the usage reports</span>`;
  const email = activity.email;
  return html`<ul>
      ${SERVICES.map(([key, label]) => html`<li>${label}: ${when(activity.lastActivity?.[key] ?? null, 'no activity')}</li>`)}
    </ul>
    ${
      email
        ? html`<p>
            Email (${email.reportPeriod ?? 30} days): ${email.sendCount ?? 0} sent, ${email.receiveCount ?? 0} received,
            ${email.readCount ?? 0} read
          </p>`
        : ''
    }`;
}
