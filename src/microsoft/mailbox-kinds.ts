// Rooms, equipment and shared mailboxes are user objects in Entra ID, but nobody signs in as them:
// documented as contacts they would be noise. Microsoft says which they are in two places:
// - the mailbox usage report's "Recipient Type" column, which carries Exchange's
//   RecipientTypeDetails names (UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox; see the
//   RecipientTypeDetails enumeration on Microsoft Learn); the admin center's export shortens them
//   (User, Shared, Room, Equipment), so both spellings are read;
// - a user's mailboxSettings.userPurpose (user, linked, shared, room, equipment, others;
//   https://learn.microsoft.com/en-us/graph/api/resources/mailboxsettings), which needs a call per
//   user and MailboxSettings.Read: docsync reads the report; the emulator's world files use it.

export type ResourceMailboxKind = 'shared' | 'room' | 'equipment';

export const RESOURCE_MAILBOX_LABELS: Record<ResourceMailboxKind, string> = {
  shared: 'shared mailbox',
  room: 'room',
  equipment: 'equipment',
};

/** The resource kind a recipient type or user purpose names; null for a person's mailbox or an unknown value. */
export function resourceKindOf(value: unknown): ResourceMailboxKind | null {
  if (typeof value !== 'string') return null;
  const v = value
    .trim()
    .toLowerCase()
    .replace(/^remote/, '')
    .replace(/mailbox$/, '');
  return v === 'shared' || v === 'room' || v === 'equipment' ? v : null;
}
