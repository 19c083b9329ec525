import { describe, expect, it } from 'vitest';
import {
  matchConfigurations,
  type Configuration,
  type ContactDecision,
  type GraphManagedDevice,
  type GraphUser,
} from '../../../src/matching/index.ts';
import { configuration, device, tenant, user } from './builders.ts';

const laptop = configuration('k-laptop', 'CONTOSO-LT-01', '5CG1234XYZ');
const matched = (userId: string, contactId: string): ContactDecision => ({
  tenantId: 't',
  userId,
  decision: 'match',
  contactId,
  rule: 'alias',
  candidates: [],
  reason: '',
});
const decide = (
  devices: GraphManagedDevice[],
  configurations: Configuration[],
  users: GraphUser[] = [],
  contacts: ContactDecision[] = [],
  organizationId: string | null = 'org',
) => matchConfigurations(tenant('t', 'Contoso', { managedDevices: devices, users }), organizationId, configurations, contacts);
const only = (d: GraphManagedDevice, configurations: Configuration[]) => decide([d], configurations)[0];

describe('matching Intune devices to configurations', () => {
  it('keeps a device on the configuration linked to it', () => {
    const linked = configuration('k-linked', 'OLD-NAME', null, { intuneDeviceId: 'd1' });
    expect(only(device('d1', 'CONTOSO-LT-01', '5CG1234XYZ'), [laptop, linked])).toMatchObject({
      decision: 'match',
      configurationId: 'k-linked',
      rule: 'linked',
    });
  });

  it('matches by serial number, trimmed and case-insensitive', () => {
    expect(only(device('d1', 'renamed', ' 5cg1234xyz '), [laptop])).toEqual({
      tenantId: 't',
      deviceId: 'd1',
      decision: 'match',
      configurationId: 'k-laptop',
      rule: 'serial',
      contactId: null,
      candidates: [],
    });
  });

  it('never matches by a placeholder serial', () => {
    const placeholders = ['0', 'System Serial Number', 'To Be Filled By O.E.M.', 'Default string', 'None', '123456789', ''];
    for (const serial of placeholders) {
      const result = only(device('d1', 'OTHER-PC', serial), [configuration('k-vm', 'VM-01', serial)]);
      expect(result, serial).toMatchObject({ decision: 'create', configurationId: null, rule: null });
    }
  });

  it('matches by device name when no serial decides', () => {
    expect(only(device('d1', 'contoso-lt-01', 'To Be Filled By O.E.M.'), [laptop])).toMatchObject({
      decision: 'match',
      configurationId: 'k-laptop',
      rule: 'name',
    });
  });

  it('does not match by name a configuration whose real serial is another one', () => {
    expect(only(device('d1', 'CONTOSO-LT-01', 'PF0ABCDE'), [laptop])).toMatchObject({ decision: 'create' });
  });

  it('asks for review when two configurations share the serial', () => {
    const twin = configuration('k-twin', 'X', '5cg1234xyz');
    expect(only(device('d1', 'Y', '5CG1234XYZ'), [laptop, twin])).toMatchObject({
      decision: 'review',
      configurationId: null,
      rule: 'serial',
      candidates: ['k-laptop', 'k-twin'],
    });
  });

  it('asks for review when two configurations share the name', () => {
    const iphones = [configuration('k-1', 'iPhone', null), configuration('k-2', 'iPhone', null)];
    expect(only(device('d1', 'iPhone', null), iphones)).toMatchObject({ decision: 'review', rule: 'name', candidates: ['k-1', 'k-2'] });
  });

  it('asks for review for both devices when two devices claim one configuration', () => {
    const decisions = decide([device('d1', 'A', '5CG1234XYZ'), device('d2', 'B', '5CG1234XYZ')], [laptop]);
    expect(decisions.map((d) => [d.deviceId, d.decision, d.candidates])).toEqual([
      ['d1', 'review', ['k-laptop']],
      ['d2', 'review', ['k-laptop']],
    ]);
  });

  it('asks for review when the only candidate is linked to another Intune device', () => {
    const taken = configuration('k-taken', 'PC', 'SERIAL-9', { intuneDeviceId: 'other-device' });
    expect(only(device('d1', 'PC', 'serial-9'), [taken])).toMatchObject({ decision: 'review', rule: 'serial', candidates: ['k-taken'] });
  });

  it('creates a configuration when nothing matches', () => {
    expect(only(device('d1', 'NEW-PC', 'NEWSERIAL1'), [laptop])).toMatchObject({
      decision: 'create',
      configurationId: null,
      rule: null,
      candidates: [],
    });
  });

  it('never considers configurations of other organizations', () => {
    expect(only(device('d1', 'CONTOSO-LT-01', '5CG1234XYZ'), [{ ...laptop, organizationId: 'other' }])).toMatchObject({
      decision: 'create',
    });
  });

  it('relates the device to the contact of its primary user, by user id', () => {
    const [decision] = decide(
      [device('d1', 'X', null, { userId: 'u1', userPrincipalName: 'someone.else@contoso.com' })],
      [],
      [user('u1', 'adele@contoso.com')],
      [matched('u1', 'c-adele')],
    );
    expect(decision?.contactId).toBe('c-adele');
  });

  it('relates the device to the contact of its primary user by UPN when the user id is unknown', () => {
    const users = [user('u1', 'Adele@contoso.com')];
    const [byUpn] = decide([device('d1', 'X', null, { userId: '', userPrincipalName: 'adele@CONTOSO.com' })], [], users, [
      matched('u1', 'c-adele'),
    ]);
    expect(byUpn?.contactId).toBe('c-adele');
  });

  it('relates no contact when the primary user has none or the device has no primary user', () => {
    const users = [user('u1', 'adele@contoso.com')];
    const reviewOnly: ContactDecision = { ...matched('u1', 'c-adele'), decision: 'review', contactId: null };
    const decisions = decide([device('d1', 'X', null, { userId: 'u1' }), device('d2', 'Y', null)], [], users, [reviewOnly]);
    expect(decisions.map((d) => d.contactId)).toEqual([null, null]);
  });

  it('leaves devices pending while the tenant has no organization', () => {
    expect(decide([device('d1', 'CONTOSO-LT-01', '5CG1234XYZ')], [laptop], [], [], null)).toEqual([
      { tenantId: 't', deviceId: 'd1', decision: 'pending', configurationId: null, rule: null, contactId: null, candidates: [] },
    ]);
  });
});
