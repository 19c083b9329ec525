// How two spellings of the same thing become one key. Every matching rule compares keys made
// here, so "equal after normalization" means the same thing everywhere.

// Letters NFD does not decompose into base letter + mark.
const LIGATURES: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ĳ: 'ij',
};
const LIGATURE_PATTERN = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');
const MARKS = /\p{M}+/gu;
// Apostrophes join ("O'Brien" = "OBrien"); every other non-letter/digit separates.
const APOSTROPHES = /['’‘`´]/g;
const SEPARATORS = /[^\p{L}\p{N}]+/gu;

/** Case, accents, punctuation and spacing ignored: "Contoso, Ltd." → "contoso ltd", "Zoë  Ó'Neill" → "zoe oneill". */
export function normalizeText(value: string | null | undefined): string {
  if (!value) return '';
  return value
    .normalize('NFD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(LIGATURE_PATTERN, (ch) => LIGATURES[ch] ?? ch)
    .replace(/&/g, ' and ')
    .replace(APOSTROPHES, '')
    .replace(SEPARATORS, ' ')
    .trim();
}

/** Organization names for the `name` rule: only case, accents, punctuation and spacing are ignored. */
export const normalizeOrganizationName = normalizeText;

/** A person's key for the `name` rule; '' when either part is missing (no name, no name match). */
export function personNameKey(first: string | null | undefined, last: string | null | undefined): string {
  const f = normalizeText(first);
  const l = normalizeText(last);
  return f && l ? `${f}|${l}` : '';
}

// Trailing legal forms. Used for suggestions only: "Northwind Traders Inc." may well be
// "Northwind Traders", but a technician says so, never the `name` rule.
const LEGAL_SUFFIXES = new Set([
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'ltd',
  'limited',
  'llc',
  'llp',
  'lp',
  'plc',
  'pllc',
  'pc',
  'gmbh',
  'mbh',
  'ag',
  'kg',
  'ohg',
  'ug',
  'ev',
  'se',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'sl',
  'bv',
  'nv',
  'vof',
  'ab',
  'as',
  'asa',
  'oy',
  'oyj',
  'aps',
  'pty',
  'kk',
  'sro',
  'doo',
  'zoo',
  'sp',
  'group',
  'holding',
  'holdings',
  'and',
]);

/** Organization name without trailing legal forms ("northwind traders inc" → "northwind traders"); never empty if the name is not. */
export function organizationNameStem(name: string): string {
  const words = normalizeText(name).split(' ');
  let end = words.length;
  while (end > 1 && LEGAL_SUFFIXES.has(words[end - 1] ?? '')) end--;
  const start = end > 1 && words[0] === 'the' ? 1 : 0;
  return words.slice(start, end).join(' ');
}

/** "Contoso.COM." → "contoso.com"; documentation often holds a web address instead ("https://www.contoso.com/"): same domain. '' for blanks. */
export function normalizeDomain(value: string | null | undefined): string {
  if (!value) return '';
  return value
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/[/?#].*$/, '')
    .replace(/^www\./, '')
    .replace(/\.+$/, '');
}

/** The part of a domain that names the company: "mail.contoso.co.uk" → "contoso", "contoso.onmicrosoft.com" → "contoso". */
export function domainStem(domain: string): string {
  const labels = normalizeDomain(domain).split('.').filter(Boolean);
  if (labels.length >= 3 && labels.at(-2) === 'onmicrosoft') return labels.at(-3) ?? '';
  // Second-level public suffixes like co.uk, com.au: skip them too.
  let i = labels.length - 2;
  if (i >= 1 && (labels[i] ?? '').length <= 3 && (labels.at(-1) ?? '').length === 2) i--;
  return labels[Math.max(i, 0)] ?? '';
}

export function isOnMicrosoftDomain(domain: string): boolean {
  return /\.onmicrosoft\.(com|de|us)$|\.partner\.onmschina\.cn$/.test(normalizeDomain(domain));
}

// Graph has been seen returning a mail with a stray quote ("'contoso1@gmail.com", user-list
// doc sample); quotes and angle brackets around an address are never part of it.
const ADDRESS_WRAPPING = /^['"<\s]+|['">\s]+$/g;

/** Case-insensitive, trimmed address; '' when it is not an address at all. */
export function normalizeEmail(value: string | null | undefined): string {
  if (!value) return '';
  const address = value.replace(ADDRESS_WRAPPING, '').toLowerCase();
  const at = address.indexOf('@');
  return at > 0 && at < address.length - 1 ? address : '';
}

export function emailDomain(normalizedEmail: string): string {
  return normalizedEmail.slice(normalizedEmail.lastIndexOf('@') + 1);
}

/**
 * The email addresses in Exchange proxyAddresses: "SMTP:" (primary) and "smtp:" (secondary).
 * x500:, sip:, spo:, eum:, x400: … are not email aliases.
 */
export function smtpProxyAddress(proxy: string): string {
  const colon = proxy.indexOf(':');
  if (colon < 0) return '';
  if (proxy.slice(0, colon).trim().toLowerCase() !== 'smtp') return '';
  return normalizeEmail(proxy.slice(colon + 1));
}

/** Device names compare trimmed and case-insensitively. */
export function normalizeDeviceName(value: string | null | undefined): string {
  return value ? value.trim().toLowerCase() : '';
}

// Serials that firmware and hypervisors fill in when the vendor did not: never evidence.
const PLACEHOLDER_SERIALS = new Set([
  '',
  'none',
  'null',
  'na',
  'n/a',
  'unknown',
  'default',
  'defaultstring',
  'systemserialnumber',
  'serialnumber',
  'chassisserialnumber',
  'baseboardserialnumber',
  'tobefilledbyoem',
  'tobefilledbyo.e.m.',
  'oem',
  'notspecified',
  'notapplicable',
  'notavailable',
  'invalid',
  'empty',
  'sn',
  'xxxxxxxx',
  '123456789',
  '1234567890',
  '0123456789',
  '12345678',
  '1234567',
  '123456',
  '12345',
  '1234',
  'serial',
  'noserial',
  'noserialnumber',
  'insertserialhere',
]);

/** Trimmed, case-insensitive serial; '' for placeholders ("To Be Filled By O.E.M.", "0", "Default string" …). */
export function normalizeSerial(value: string | null | undefined): string {
  if (!value) return '';
  const serial = value.trim().toUpperCase();
  const compact = serial.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (PLACEHOLDER_SERIALS.has(compact)) return '';
  // "0", "0000000", "FFFFFFFF", "-": one repeated character or nothing at all.
  if (compact.length === 0 || /^(.)\1*$/.test(compact)) return '';
  return serial;
}
