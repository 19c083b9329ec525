// How the audit log reads: the subject by name (src/stores/audit-names.ts) and before → after
// as a list of the fields that changed, not raw JSON. Values are shown short and escaped.
import { html, type SafeHtml } from '../html.ts';

const MAX_VALUE = 160;

function short(value: unknown, names: Map<string, string>): string {
  if (value === null || value === undefined) return '—';
  const named = typeof value === 'string' ? names.get(value.toLowerCase()) : undefined;
  const text = named ?? (typeof value === 'string' ? value : JSON.stringify(value));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function fields(value: unknown): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return new Map(Object.entries(value));
  return value === null || value === undefined ? new Map() : new Map([['value', value]]);
}

/** The fields that changed between before and after: "field: old → new", added and removed ones marked. */
export function auditDiff(before: unknown, after: unknown, names: Map<string, string> = new Map()): SafeHtml {
  const was = fields(before);
  const now = fields(after);
  const keys = [...new Set([...was.keys(), ...now.keys()])];
  const changed = keys.filter((k) => JSON.stringify(was.get(k)) !== JSON.stringify(now.get(k)));
  if (changed.length === 0) return keys.length === 0 ? html`<span class="muted">—</span>` : html`<span class="muted">no change</span>`;
  return html`<ul class="diff">
    ${changed.map((key) => {
      const label = key
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .replaceAll('_', ' ')
        .toLowerCase();
      if (!was.has(key)) return html`<li><span class="field">${label}</span>: <ins>${short(now.get(key), names)}</ins></li>`;
      if (!now.has(key))
        return html`<li>
          <span class="field">${label}</span>: <del>${short(was.get(key), names)}</del> <span class="muted">(removed)</span>
        </li>`;
      return html`<li>
        <span class="field">${label}</span>: <del>${short(was.get(key), names)}</del> → <ins>${short(now.get(key), names)}</ins>
      </li>`;
    })}
  </ul>`;
}

const SUBJECT_WORDS: Record<string, string> = {
  technician: 'account',
  integration: 'integration',
  tenant: 'tenant',
  organization: 'organization',
  contact: 'contact',
  configuration: 'configuration',
  vault_entry: 'vault entry',
  api_token: 'API token',
  action: 'action',
  microsoft_user: 'Microsoft user',
  security_settings: 'sign-in rules',
  organization_decision: 'tenant ↔ organization',
  contact_decision: 'user ↔ contact',
  configuration_decision: 'device ↔ configuration',
};

/** "account alice", "Microsoft user Nora Newcomer", "user ↔ contact in Contoso" — the id only where no name is known. */
export function auditSubject(row: { subject_type: string; subject_id: string | null }, names: Map<string, string>): SafeHtml {
  const word = SUBJECT_WORDS[row.subject_type] ?? row.subject_type.replaceAll('_', ' ');
  if (!row.subject_id) return html`${word}`;
  if (row.subject_type.endsWith('_decision')) {
    const tenant = names.get(`tenant:${row.subject_id.split('/')[0]}`);
    return tenant ? html`${word} in <bdi>${tenant}</bdi>` : html`${word} <span class="muted">${row.subject_id}</span>`;
  }
  const name = names.get(`${row.subject_type}:${row.subject_id}`);
  const href =
    row.subject_type === 'action'
      ? `/actions/${row.subject_id}`
      : row.subject_type === 'organization'
        ? `/organizations/${row.subject_id}`
        : row.subject_type === 'integration'
          ? `/integrations/${row.subject_id}`
          : null;
  const label = name ? html`<bdi>${name}</bdi>` : html`<span class="muted">${row.subject_id}</span>`;
  return href ? html`${word} <a href="${href}">${label}</a>` : html`${word} ${label}`;
}
