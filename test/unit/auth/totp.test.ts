// The TOTP check against RFC 6238 Appendix B (SHA-1, key "12345678901234567890"), cut to the
// 6 digits authenticator apps show, with the one step of drift docsync allows.
import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { matchingStep } from '../../../src/auth/mfa.ts';

const RFC_KEY = Secret.fromUTF8('12345678901234567890').base32;
const at = (seconds: number) => new Date(seconds * 1000);

describe('TOTP codes (RFC 6238)', () => {
  it('accepts the RFC test vectors at their times, as the step they belong to', () => {
    expect(matchingStep(RFC_KEY, '287082', at(59))).toBe(1);
    expect(matchingStep(RFC_KEY, '081804', at(1111111109))).toBe(37037036);
    expect(matchingStep(RFC_KEY, '050471', at(1111111111))).toBe(37037037);
    expect(matchingStep(RFC_KEY, '005924', at(1234567890))).toBe(41152263);
  });

  it('accepts a code one step early or late, and not two', () => {
    expect(matchingStep(RFC_KEY, '081804', at(1111111109 + 30))).toBe(37037036);
    expect(matchingStep(RFC_KEY, '081804', at(1111111109 - 30))).toBe(37037036);
    expect(matchingStep(RFC_KEY, '081804', at(1111111109 + 60))).toBeNull();
    expect(matchingStep(RFC_KEY, '081804', at(1111111109 - 60))).toBeNull();
  });

  it('refuses what is not six digits', () => {
    for (const code of ['', '28708', '2870822', '28708a', ' 287082', '２８７０８２'])
      expect(matchingStep(RFC_KEY, code, at(59))).toBeNull();
  });
});
