// HTML with every interpolated value escaped unless it is already SafeHtml. Tenant, user and
// organization names come from customers: treat them as hostile. `name()` also isolates the
// text's direction (<bdi>), so an RTL override inside a name cannot reorder the page around it.
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Bidi controls (Unicode's Bidi_Control: ALM, LRM, RLM, the embeddings and overrides U+202A–202E
 * and the isolates U+2066–2069). Inside a name they can make "gnp.exe" read as "exe.png"; every
 * interpolated value shows them as the visible text "[U+202E]" instead, so the trick is seen and
 * inert everywhere Microsoft text lands: titles, attributes, table cells, log lines, hidden labels.
 */
const BIDI_CONTROLS = /\p{Bidi_Control}/gu;
const bidiMarker = (ch: string) => `[U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`;

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/[&<>"'`]/g, (ch) => ESCAPES[ch]!)
    .replace(BIDI_CONTROLS, bidiMarker);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** A name from outside (tenant, user, organization): escaped, direction-isolated, bidi controls made visible. */
export function name(value: string | null | undefined, fallback = '—'): SafeHtml {
  if (value === null || value === undefined || value === '') return html`<span class="muted">${fallback}</span>`;
  // The same "[U+…]" marker as escapeHtml gives, with a tooltip that explains it.
  const shown = value
    .split(/(\p{Bidi_Control})/u)
    .map((part, i) =>
      i % 2 === 1
        ? `<abbr class="bidi" title="hidden direction control ${bidiMarker(part).slice(1, -1)}">${bidiMarker(part)}</abbr>`
        : escapeHtml(part),
    )
    .join('');
  return new SafeHtml(`<bdi class="name">${shown}</bdi>`);
}

export function when(value: string | Date | null | undefined, fallback = 'never'): SafeHtml {
  if (!value) return html`<span class="muted">${fallback}</span>`;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return html`<span class="muted">${fallback}</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
