import { describe, expect, it } from 'vitest';
import { isLoopbackHttpAuthority, msalAuthorityFor, msalKnownAuthorities } from '../../../src/microsoft/network-client.ts';

describe('how docsync names its authority to MSAL', () => {
  it('leaves Microsoft clouds exactly as configured', () => {
    expect(msalAuthorityFor('https://login.microsoftonline.com', 'contoso.onmicrosoft.com')).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com',
    );
    expect(msalKnownAuthorities('https://login.microsoftonline.com')).toEqual([]);
    expect(msalKnownAuthorities('https://login.microsoftonline.us')).toEqual([]);
    expect(isLoopbackHttpAuthority('https://login.microsoftonline.com')).toBe(false);
  });

  it('gives MSAL https for a loopback http emulator, with the host as a known authority', () => {
    expect(msalAuthorityFor('http://127.0.0.1:41001', 'organizations')).toBe('https://127.0.0.1:41001/organizations');
    expect(msalAuthorityFor('http://localhost:8080', 'x')).toBe('https://localhost:8080/x');
    expect(msalKnownAuthorities('http://127.0.0.1:41001')).toEqual(['127.0.0.1:41001']);
    expect(isLoopbackHttpAuthority('http://[::1]:41001')).toBe(true);
  });

  it('does not rewrite http hosts that are not loopback', () => {
    expect(isLoopbackHttpAuthority('http://login.example.test')).toBe(false);
    expect(msalAuthorityFor('http://login.example.test', 't')).toBe('http://login.example.test/t');
  });
});
