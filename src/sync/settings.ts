// What an integration syncs (integrations.settings, edited on the Integrations page). Unknown or
// malformed values fall back to the defaults, so a bad setting never stops a sync.
export interface SyncSettings {
  /** Guests (userType Guest / #EXT#) are excluded unless this is on. */
  includeGuests: boolean;
  /** Accounts with accountEnabled false are still documented (shown disabled) unless this is off. */
  includeDisabled: boolean;
  /** Members of these groups (object ids in the customer tenant) are excluded. */
  excludeGroupIds: string[];
  /** Domains whose users are synced; ["*"] = all. Matches the UPN's or mail's domain. */
  domains: string[];
  /** "create" decisions create contacts and configurations. */
  autoCreate: boolean;
  /** An unmatched tenant gets an organization created from its name and verified domains. */
  createOrganizations: boolean;
  /** Days without any sign-in, app activity or device check-in before a user is inactive; null = sync.inactiveDays. */
  inactiveDays: number | null;
  /** Rooms, equipment and shared mailboxes become contacts too (off: they are excluded, marked as what they are). */
  includeResourceMailboxes: boolean;
}

/** The accepted range of an integration's inactive days. */
export const INACTIVE_DAYS_RANGE = { minimum: 1, maximum: 3650 } as const;

export const DEFAULT_SYNC_SETTINGS: SyncSettings = Object.freeze({
  includeGuests: false,
  includeDisabled: true,
  excludeGroupIds: [],
  domains: ['*'],
  autoCreate: true,
  createOrganizations: false,
  inactiveDays: null,
  includeResourceMailboxes: false,
}) as SyncSettings;

export function syncSettingsOf(raw: unknown): SyncSettings {
  const source = (typeof raw === 'string' ? safeParse(raw) : raw) as Record<string, unknown> | null;
  const s = source && typeof source === 'object' ? ((source.sync as Record<string, unknown>) ?? source) : {};
  const bool = (key: keyof SyncSettings) => (typeof s[key] === 'boolean' ? (s[key] as boolean) : (DEFAULT_SYNC_SETTINGS[key] as boolean));
  const strings = (key: 'excludeGroupIds' | 'domains') =>
    Array.isArray(s[key]) && (s[key] as unknown[]).every((v) => typeof v === 'string')
      ? (s[key] as string[]).map((v) => v.trim()).filter(Boolean)
      : DEFAULT_SYNC_SETTINGS[key];
  const domains = strings('domains');
  return {
    includeGuests: bool('includeGuests'),
    includeDisabled: bool('includeDisabled'),
    excludeGroupIds: strings('excludeGroupIds'),
    domains: domains.length === 0 ? ['*'] : domains.map((d) => d.toLowerCase()),
    autoCreate: bool('autoCreate'),
    createOrganizations: bool('createOrganizations'),
    inactiveDays:
      Number.isInteger(s.inactiveDays) &&
      (s.inactiveDays as number) >= INACTIVE_DAYS_RANGE.minimum &&
      (s.inactiveDays as number) <= INACTIVE_DAYS_RANGE.maximum
        ? (s.inactiveDays as number)
        : null,
    includeResourceMailboxes: bool('includeResourceMailboxes'),
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
