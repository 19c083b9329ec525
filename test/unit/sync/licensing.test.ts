import { describe, expect, it } from 'vitest';
import { findSku, knownSkuCount, licenseDisplayName, parseCsvLine } from '../../../src/licensing/skus.ts';

describe('friendly license names', () => {
  it('names the common SKUs by their product name', () => {
    expect(licenseDisplayName('06ebc4ee-1bb5-47dd-8120-11324bc54e06')).toBe('Microsoft 365 E5');
    expect(licenseDisplayName('CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46')).toBe('Microsoft 365 Business Premium');
    expect(licenseDisplayName(null, 'ENTERPRISEPACK')).toBe('Office 365 E3');
  });

  it('keeps commas inside quoted product names', () => {
    expect(findSku('977464c4-bfaf-4b67-b761-a9bb735a2196')?.displayName).toBe(
      'Dynamics 365 Field Service, Enterprise Edition - Resource Scheduling Optimization',
    );
    expect(parseCsvLine('a,"b, ""c""",d')).toEqual(['a', 'b, "c"', 'd']);
  });

  it('never shows a bare GUID for an unknown SKU', () => {
    const unknown = '00000000-1111-2222-3333-444444444444';
    expect(licenseDisplayName(unknown, 'CONTOSO_SPECIAL')).toBe('CONTOSO_SPECIAL');
    expect(licenseDisplayName(unknown)).not.toContain(unknown);
  });

  it('bundles the whole table', () => {
    expect(knownSkuCount()).toBeGreaterThan(600);
  });
});
