import { describe, expect, it } from 'vitest';
import { bytes, escapeHtml, html, name, SafeHtml, when } from '../../../src/web/html.ts';
import { safeNext } from '../../../src/web/pages/account-pages.ts';

describe('html', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const hostile = `"><script>alert('x')</script>\``;
    const out = html`<a title="${hostile}">${hostile}</a>`.toString();
    expect(out).not.toContain('<script>');
    const escaped = '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#96;';
    expect(out).toBe(`<a title="${escaped}">${escaped}</a>`);
  });

  it('keeps SafeHtml as it is and escapes arrays item by item', () => {
    // Prettier would lay this template out as HTML, adding the whitespace the assertion rules out.
    // prettier-ignore
    expect(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.toString()).toBe('<ul>&lt;a&gt;<li>ok</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.toString()).toBe('0');
    expect(new SafeHtml('<b>').toString()).toBe('<b>');
  });

  it('isolates names and shows hidden bidi controls as visible markers', () => {
    expect(name('Contoso\u202Egnp.exe').toString()).toBe(
      '<bdi class="name">Contoso<abbr class="bidi" title="hidden direction control U+202E">[U+202E]</abbr>gnp.exe</bdi>',
    );
    expect(name('<i>x</i>').toString()).toBe('<bdi class="name">&lt;i&gt;x&lt;/i&gt;</bdi>');
    expect(name('').toString()).toContain('muted');
  });

  it('shows every bidi control as the same visible marker in any interpolated text, titles and attributes included', () => {
    const out = html`<title>${'Contoso\u202Egnp.exe'}</title><span title="${'a\u2066b\u200F'}">${'\u061C'}</span>`.toString();
    expect(out).toBe('<title>Contoso[U+202E]gnp.exe</title><span title="a[U+2066]b[U+200F]">[U+061C]</span>');
    expect(escapeHtml('\u202A\u202B\u202C\u202D\u2069\u200E')).toBe('[U+202A][U+202B][U+202C][U+202D][U+2069][U+200E]');
  });

  it('formats dates and sizes for people', () => {
    expect(when('2026-11-23T10:05:09Z').toString()).toBe('<time datetime="2026-11-23T10:05:09.000Z">2026-11-23 10:05 UTC</time>');
    expect(when(null, 'never').toString()).toContain('never');
    expect(when('not a date').toString()).toContain('never');
    expect(bytes(5 * 1024 ** 3)).toBe('5.0 GB');
    expect(bytes(12)).toBe('12 B');
    expect(escapeHtml('&')).toBe('&amp;');
  });

  it('sends people back only to a path on this site after sign-in', () => {
    expect(safeNext('/tenants/x/contacts?decision=review')).toBe('/tenants/x/contacts?decision=review');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '', undefined, '/a b']) {
      expect(safeNext(bad)).toBe('/');
    }
  });
});
