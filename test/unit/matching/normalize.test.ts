import { describe, expect, it } from 'vitest';
import {
  domainStem,
  normalizeDomain,
  normalizeEmail,
  normalizeOrganizationName,
  normalizeSerial,
  organizationNameStem,
  personNameKey,
  smtpProxyAddress,
} from '../../../src/matching/normalize.ts';

describe('normalization', () => {
  it('ignores case, accents, punctuation and spacing in organization names', () => {
    expect(normalizeOrganizationName('Contoso, Ltd.')).toBe(normalizeOrganizationName('Contoso Ltd'));
    expect(normalizeOrganizationName('  Café   Müller GmbH ')).toBe('cafe muller gmbh');
    expect(normalizeOrganizationName('Smith & Sons')).toBe(normalizeOrganizationName('Smith and Sons'));
  });

  it('keeps legal forms in names for exact matching but strips them for suggestions', () => {
    expect(normalizeOrganizationName('Northwind Traders Inc.')).not.toBe(normalizeOrganizationName('Northwind Traders'));
    expect(organizationNameStem('Northwind Traders Inc.')).toBe('northwind traders');
    expect(organizationNameStem('Fabrikam Pty. Ltd.')).toBe('fabrikam');
    expect(organizationNameStem('The Contoso Company')).toBe('contoso');
    expect(organizationNameStem('Inc.')).toBe('inc');
  });

  it('compares person names without case, accents, apostrophes or extra spaces', () => {
    expect(personNameKey('  Zoë ', "O'Neill")).toBe(personNameKey('zoe', 'ONeill'));
    expect(personNameKey('Łukasz', 'Straße')).toBe(personNameKey('Lukasz', 'Strasse'));
    expect(personNameKey('Jean-Luc', 'Picard')).toBe(personNameKey('Jean Luc', 'Picard'));
  });

  it('has no name key when a part is missing', () => {
    expect(personNameKey('Conf Room', null)).toBe('');
    expect(personNameKey('', 'Adams')).toBe('');
  });

  it('trims and lower-cases addresses and drops the stray quote Graph has been seen to return', () => {
    expect(normalizeEmail('  Adele.Vance@Contoso.COM ')).toBe('adele.vance@contoso.com');
    expect(normalizeEmail("'contoso1@gmail.com")).toBe('contoso1@gmail.com');
    expect(normalizeEmail('not an address')).toBe('');
    expect(normalizeEmail(null)).toBe('');
  });

  it('reads smtp proxy addresses only', () => {
    expect(smtpProxyAddress('SMTP:Primary@contoso.com')).toBe('primary@contoso.com');
    expect(smtpProxyAddress('smtp:alias@contoso.com')).toBe('alias@contoso.com');
    expect(smtpProxyAddress('x500:/o=ExchangeLabs/ou=Exchange/cn=Recipients/cn=abc')).toBe('');
    expect(smtpProxyAddress('sip:adele@contoso.com')).toBe('');
    expect(smtpProxyAddress('SPO:SPO_1234@SPO_tenant')).toBe('');
  });

  it('treats placeholder serials as no serial', () => {
    for (const placeholder of [
      '',
      ' ',
      '0',
      '00000000',
      'System Serial Number',
      'To Be Filled By O.E.M.',
      'Default string',
      'None',
      '123456789',
      'N/A',
      'FFFFFFFF',
    ]) {
      expect(normalizeSerial(placeholder), placeholder).toBe('');
    }
    expect(normalizeSerial(' 5cg1234xyz ')).toBe('5CG1234XYZ');
  });

  it('reads a web address listed as an organization domain as its domain', () => {
    expect(normalizeDomain('https://www.Contoso.com/about')).toBe('contoso.com');
    expect(normalizeDomain(' contoso.com. ')).toBe('contoso.com');
  });

  it('finds the company part of a domain', () => {
    expect(domainStem('contoso.com')).toBe('contoso');
    expect(domainStem('mail.contoso.co.uk')).toBe('contoso');
    expect(domainStem('contoso.onmicrosoft.com')).toBe('contoso');
  });
});
