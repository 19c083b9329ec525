import { describe, expect, it } from 'vitest';
import { assessInactivity, inactivityFlipsAt, type ReadableSources } from '../../../src/reports/inactivity.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const ALL: ReadableSources = { signIn: true, appActivity: true, deviceCheckIn: true };
const NONE: ReadableSources = { signIn: false, appActivity: false, deviceCheckIn: false };
const oldSignIn = { lastSuccessfulSignInDateTime: '2026-08-01T10:00:00Z', lastNonInteractiveSignInDateTime: '0001-01-01T00:00:00Z' };

describe('inactivity', () => {
  it('calls a disabled account disabled, whatever the sources say', () => {
    expect(assessInactivity({ accountEnabled: false, signInActivity: oldSignIn }, ALL, NOW, 30).state).toBe('disabled');
    expect(assessInactivity({ accountEnabled: false }, NONE, NOW, 30).state).toBe('disabled');
  });

  it('says unknown only when no source is readable, and names every missing one', () => {
    const result = assessInactivity({ accountEnabled: true, signInActivity: oldSignIn }, NONE, NOW, 30);
    expect(result.state).toBe('unknown');
    expect(result.missing.map((m) => m.source)).toEqual(['signIn', 'appActivity', 'deviceCheckIn']);
    const oneSource = assessInactivity({ accountEnabled: true }, { ...NONE, appActivity: true }, NOW, 30);
    expect(oneSource.state).toBe('inactive');
    expect(oneSource.missing.map((m) => m.source)).toEqual(['signIn', 'deviceCheckIn']);
  });

  it('counts a recent non-interactive sign-in, service activity or device check-in as being seen', () => {
    const base = { accountEnabled: true, signInActivity: oldSignIn };
    expect(
      assessInactivity(
        { ...base, signInActivity: { ...oldSignIn, lastNonInteractiveSignInDateTime: '2026-11-20T00:00:00Z' } },
        ALL,
        NOW,
        30,
      ).lastSeen,
    ).toMatchObject({ label: 'non-interactive sign-in' });
    expect(assessInactivity({ ...base, serviceActivity: { teams: '2026-11-22' } }, ALL, NOW, 30)).toMatchObject({
      state: 'active',
      lastSeen: { source: 'appActivity', label: 'Teams' },
    });
    expect(assessInactivity({ ...base, deviceCheckIns: [{ name: 'LAPTOP-7', at: '2026-11-21T08:00:00Z' }] }, ALL, NOW, 30).state).toBe(
      'active',
    );
    expect(assessInactivity(base, ALL, NOW, 30).state).toBe('inactive');
    expect(assessInactivity(base, ALL, NOW, 365).state).toBe('active');
  });

  it('ignores evidence from a source that is not readable', () => {
    const result = assessInactivity(
      { accountEnabled: true, serviceActivity: { exchange: '2026-11-22' }, signInActivity: oldSignIn },
      { ...ALL, appActivity: false },
      NOW,
      30,
    );
    expect(result.state).toBe('inactive');
  });

  it('treats a new account nobody has seen yet as active until the days pass', () => {
    const result = assessInactivity({ accountEnabled: true, createdDateTime: '2026-11-20T00:00:00Z' }, ALL, NOW, 30);
    expect(result.state).toBe('active');
    expect(inactivityFlipsAt(result, '2026-11-20T00:00:00Z')?.toISOString()).toBe('2026-12-20T00:00:00.000Z');
  });
});
