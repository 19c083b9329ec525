import { describe, expect, it } from 'vitest';
import { matchContacts, type Contact, type GraphUser } from '../../../src/matching/index.ts';
import { contact, tenant, user, verified } from './builders.ts';

const adele = contact('c-adele', 'Adele', 'Vance', ['adele.vance@contoso.com']);
const decide = (users: GraphUser[], contacts: Contact[], options = {}, organizationId: string | null = 'org') =>
  matchContacts(tenant('t', 'Contoso', { users, domains: [verified('contoso.com')] }), organizationId, contacts, options);
const only = (u: GraphUser, contacts: Contact[], options = {}) => decide([u], contacts, options)[0];

describe('matching users to contacts', () => {
  it('keeps a user on the contact linked to it, even when another contact has its address', () => {
    const linked = contact('c-linked', 'A', 'V', [], { microsoftUserId: 'u1' });
    expect(only(user('u1', 'adele.vance@contoso.com', { mail: 'adele.vance@contoso.com' }), [adele, linked])).toMatchObject({
      decision: 'match',
      contactId: 'c-linked',
      rule: 'linked',
    });
  });

  it('keeps a guest on the contact a technician linked it to', () => {
    const linked = contact('c-linked', 'A', 'V', [], { microsoftUserId: 'g1' });
    expect(only(user('g1', 'a_x.com#EXT#@contoso.onmicrosoft.com', { userType: 'Guest' }), [linked])).toMatchObject({
      decision: 'match',
      rule: 'linked',
    });
  });

  it('ignores a link held by a contact of another organization', () => {
    const elsewhere = contact('c-old-org', 'A', 'V', [], { microsoftUserId: 'u1', organizationId: 'previous-org' });
    expect(only(user('u1', 'new@contoso.com'), [elsewhere])).toMatchObject({ decision: 'create' });
  });

  it('asks for review when two contacts are linked to the same user', () => {
    const twice = [contact('c-1', 'A', 'V', [], { microsoftUserId: 'u1' }), contact('c-2', 'A', 'V', [], { microsoftUserId: 'U1' })];
    expect(only(user('u1', 'a@contoso.com'), twice)).toMatchObject({ decision: 'review', rule: 'linked', candidates: ['c-1', 'c-2'] });
  });

  it('matches by the primary mail, case-insensitively and trimmed', () => {
    expect(only(user('u1', 'av@contoso.onmicrosoft.com', { mail: '  Adele.Vance@CONTOSO.com ' }), [adele])).toMatchObject({
      decision: 'match',
      contactId: 'c-adele',
      rule: 'alias',
      candidates: [],
    });
  });

  it('matches by a secondary smtp proxy address', () => {
    const u = user('u1', 'av@contoso.onmicrosoft.com', {
      mail: 'av@contoso.com',
      proxyAddresses: ['SMTP:av@contoso.com', 'smtp:Adele.Vance@contoso.com'],
    });
    expect(only(u, [adele])).toMatchObject({ decision: 'match', contactId: 'c-adele', rule: 'alias' });
  });

  it('matches by otherMails', () => {
    expect(only(user('u1', 'av@contoso.onmicrosoft.com', { otherMails: ['adele.vance@contoso.com'] }), [adele])).toMatchObject({
      decision: 'match',
      rule: 'alias',
    });
  });

  it('does not treat x500, sip or spo proxy addresses as email aliases', () => {
    const u = user('u1', 'av@contoso.onmicrosoft.com', {
      proxyAddresses: ['x500:adele.vance@contoso.com', 'sip:adele.vance@contoso.com', 'SPO:adele.vance@contoso.com'],
    });
    expect(only(u, [adele])).toMatchObject({ decision: 'create', contactId: null, rule: null });
  });

  it('matches by the user principal name, also an onmicrosoft.com one', () => {
    expect(only(user('u1', 'Adele.Vance@contoso.com'), [adele])).toMatchObject({ decision: 'match', rule: 'upn' });
    const onMs = contact('c-onms', null, null, ['adelev@contoso.onmicrosoft.com']);
    expect(only(user('u1', 'AdeleV@contoso.onmicrosoft.com'), [onMs])).toMatchObject({
      decision: 'match',
      contactId: 'c-onms',
      rule: 'upn',
    });
  });

  it('prefers an alias over the user principal name', () => {
    const byUpn = contact('c-upn', null, null, ['av@contoso.onmicrosoft.com']);
    expect(only(user('u1', 'av@contoso.onmicrosoft.com', { mail: 'adele.vance@contoso.com' }), [byUpn, adele])).toMatchObject({
      contactId: 'c-adele',
      rule: 'alias',
    });
  });

  it('matches by first and last name ignoring case, accents and spacing', () => {
    const zoe = contact('c-zoe', 'Zoë', "O'Neill", []);
    expect(only(user('u1', 'zo@contoso.com', { givenName: ' zoe', surname: 'ONEILL ' }), [zoe])).toMatchObject({
      decision: 'match',
      contactId: 'c-zoe',
      rule: 'name',
    });
  });

  it('does not match a nickname to the full first name', () => {
    const robert = contact('c-robert', 'Robert', 'Smith', []);
    expect(only(user('u1', 'bob@contoso.com', { givenName: 'Bob', surname: 'Smith' }), [robert])).toMatchObject({ decision: 'create' });
  });

  it('asks for review when two contacts share the name', () => {
    const twins = [contact('c-1', 'Alex', 'Wilber', []), contact('c-2', 'alex', 'wilber', [])];
    expect(only(user('u1', 'alexw@contoso.com', { givenName: 'Alex', surname: 'Wilber' }), twins)).toMatchObject({
      decision: 'review',
      contactId: null,
      rule: 'name',
      candidates: ['c-1', 'c-2'],
    });
  });

  it('asks for review when two contacts share an address', () => {
    const dupes = [adele, contact('c-adele-2', 'Adele', 'V.', ['ADELE.VANCE@contoso.com'])];
    expect(only(user('u1', 'x@contoso.com', { mail: 'adele.vance@contoso.com' }), dupes)).toMatchObject({
      decision: 'review',
      rule: 'alias',
      candidates: ['c-adele', 'c-adele-2'],
    });
  });

  it("asks for review when the user's aliases point at two different contacts", () => {
    const other = contact('c-av', 'A', 'V', ['av@contoso.com']);
    const u = user('u1', 'x@contoso.com', { mail: 'adele.vance@contoso.com', proxyAddresses: ['smtp:av@contoso.com'] });
    expect(only(u, [adele, other])).toMatchObject({ decision: 'review', rule: 'alias', candidates: ['c-adele', 'c-av'] });
  });

  it('asks for review when a namesake contact has another mailbox of the tenant', () => {
    const leaver = contact('c-leaver', 'John', 'Smith', ['jsmith@contoso.com']);
    expect(only(user('u1', 'john.smith2@contoso.com', { givenName: 'John', surname: 'Smith' }), [leaver])).toMatchObject({
      decision: 'review',
      rule: 'name',
      candidates: ['c-leaver'],
    });
  });

  it("matches by name when the contact's only address is outside the tenant", () => {
    const external = contact('c-ext', 'John', 'Smith', ['john@gmail.com']);
    expect(only(user('u1', 'john.smith@contoso.com', { givenName: 'John', surname: 'Smith' }), [external])).toMatchObject({
      decision: 'match',
      rule: 'name',
    });
  });

  it('asks for review when the only candidate is linked to another Microsoft user', () => {
    const taken = contact('c-taken', 'Adele', 'Vance', ['adele.vance@contoso.com'], { microsoftUserId: 'someone-else' });
    expect(only(user('u1', 'adele.vance@contoso.com'), [taken])).toMatchObject({
      decision: 'review',
      rule: 'upn',
      candidates: ['c-taken'],
    });
  });

  it('asks for review for both users when two users claim one contact', () => {
    const decisions = decide(
      [user('u1', 'adele.vance@contoso.com'), user('u2', 'av@contoso.com', { otherMails: ['adele.vance@contoso.com'] })],
      [adele],
    );
    expect(decisions.map((d) => [d.userId, d.decision, d.contactId, d.candidates])).toEqual([
      ['u1', 'review', null, ['c-adele']],
      ['u2', 'review', null, ['c-adele']],
    ]);
  });

  it('creates a contact when nothing matches', () => {
    expect(only(user('u1', 'new.hire@contoso.com', { givenName: 'New', surname: 'Hire' }), [adele])).toEqual({
      tenantId: 't',
      userId: 'u1',
      decision: 'create',
      contactId: null,
      rule: null,
      candidates: [],
      reason: expect.stringMatching(/new contact/),
    });
  });

  it('never considers contacts of other organizations', () => {
    const elsewhere = contact('c-other', 'Adele', 'Vance', ['adele.vance@contoso.com'], { organizationId: 'other-org' });
    expect(only(user('u1', 'adele.vance@contoso.com', { givenName: 'Adele', surname: 'Vance' }), [elsewhere])).toMatchObject({
      decision: 'create',
    });
  });

  it('skips guests, by userType or by #EXT# in the user principal name', () => {
    const byType = user('g1', 'adele.vance@contoso.com', { userType: 'Guest' });
    const byUpn = user('g2', 'adele.vance_contoso.com#EXT#@fabrikam.onmicrosoft.com', { userType: null });
    expect(decide([byType, byUpn], [adele]).map((d) => [d.decision, d.rule])).toEqual([
      ['skip', null],
      ['skip', null],
    ]);
  });

  it('matches guests when the integration includes them', () => {
    const guest = user('g1', 'adele.vance_contoso.com#EXT#@fabrikam.onmicrosoft.com', {
      userType: 'Guest',
      mail: 'adele.vance@contoso.com',
    });
    expect(only(guest, [adele], { includeGuests: true })).toMatchObject({ decision: 'match', rule: 'alias' });
  });

  it('leaves users pending while the tenant has no organization', () => {
    expect(decide([user('u1', 'adele.vance@contoso.com')], [adele], {}, null)).toEqual([
      { tenantId: 't', userId: 'u1', decision: 'pending', contactId: null, rule: null, candidates: [], reason: expect.any(String) },
    ]);
  });

  it('still matches disabled accounts and says they are disabled', () => {
    const decision = only(user('u1', 'adele.vance@contoso.com', { accountEnabled: false }), [adele]);
    expect(decision).toMatchObject({ decision: 'match', contactId: 'c-adele' });
    expect(decision?.reason).toMatch(/disabled/);
  });

  it('decides a user listed twice (a delta replay) once', () => {
    const decisions = decide([user('u1', 'old@contoso.com'), user('u2', 'b@contoso.com'), user('u1', 'adele.vance@contoso.com')], [adele]);
    expect(decisions.map((d) => [d.userId, d.decision])).toEqual([
      ['u1', 'match'],
      ['u2', 'create'],
    ]);
  });

  it('gives a technician a reason naming the evidence', () => {
    expect(only(user('u1', 'x@contoso.com', { mail: 'adele.vance@contoso.com' }), [adele])?.reason).toContain('adele.vance@contoso.com');
  });
});
