import { describe, expect, it } from 'vitest';
import { isFreeLicense, licenseDisplayName } from '../../../src/licensing/skus.ts';

describe('free and trial licenses (left out of the paid totals)', () => {
  it.each([
    ['FLOW_FREE', true],
    ['POWERAPPS_VIRAL', true],
    ['TEAMS_EXPLORATORY', true],
    ['SPB', false],
    ['SPE_E5', false],
    ['EXCHANGESTANDARD', false],
  ])('%s is free: %s', (partNumber, free) => {
    expect(isFreeLicense(licenseDisplayName(null, partNumber), partNumber)).toBe(free);
  });

  it('reads "free" and "trial" in the display name of an unknown part number', () => {
    expect(isFreeLicense('Contoso Analytics (Free)', 'CONTOSO_A')).toBe(true);
    expect(isFreeLicense('Dynamics 365 Trial', null)).toBe(true);
    expect(isFreeLicense('Freedom Suite', null)).toBe(false);
  });
});
