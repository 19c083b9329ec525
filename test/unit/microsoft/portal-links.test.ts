import { describe, expect, it } from 'vitest';
import { devicePortalLinks, portalCloud, tenantPortalLinks, userPortalLinks } from '../../../src/microsoft/portal-links.ts';

const tenant = '22222222-2222-4222-8222-222222222222';
const user = '33333333-3333-4333-8333-333333333333';
const device = '44444444-4444-4444-8444-444444444444';

describe('the cloud whose portals are linked', () => {
  it('follows the authority host of the configured cloud', () => {
    expect(portalCloud({ authorityHost: 'https://login.microsoftonline.com' })).toBe('global');
    expect(portalCloud({ authorityHost: 'https://login.microsoftonline.us' })).toBe('usGovernment');
    expect(portalCloud({ authorityHost: 'https://login.chinacloudapi.cn' })).toBe('china');
    expect(portalCloud({ authorityHost: 'https://login.partner.microsoftonline.cn' })).toBe('china');
  });

  it('links no portal for the emulator or an unknown host, unless the setting names a cloud', () => {
    expect(portalCloud({ authorityHost: 'http://127.0.0.1:4000', portalCloud: 'auto' })).toBe('none');
    expect(portalCloud({ authorityHost: 'https://login.example.test' })).toBe('none');
    expect(portalCloud({ authorityHost: 'http://127.0.0.1:4000', portalCloud: 'global' })).toBe('global');
    expect(portalCloud({ authorityHost: 'https://login.microsoftonline.com', portalCloud: 'none' })).toBe('none');
  });
});

describe('links of the global cloud', () => {
  it('opens a GDAP customer in the Microsoft 365 admin center as the partner, Entra, Intune and Partner Center', () => {
    const links = tenantPortalLinks('global', { microsoftTenantId: tenant, accessKind: 'gdap' });
    expect(links.map((l) => [l.portal, l.url])).toEqual([
      ['m365', `https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID=${tenant}&CSDEST=o365admincenter`],
      ['entra', `https://entra.microsoft.com/${tenant}`],
      ['intune', `https://intune.microsoft.com/${tenant}`],
      ['partnerCenter', `https://partner.microsoft.com/dashboard/commerce2/customers/${tenant}/adminrelationships`],
    ]);
  });

  it('gives a directly connected tenant no partner links', () => {
    const links = tenantPortalLinks('global', { microsoftTenantId: tenant, accessKind: 'direct' });
    expect(links.map((l) => l.portal)).toEqual(['entra', 'intune']);
  });

  it("opens a user's profile in Entra and Intune by object id, and a device in Intune by its Intune id", () => {
    expect(userPortalLinks('global', tenant, user).map((l) => l.url)).toEqual([
      `https://entra.microsoft.com/${tenant}/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${user}`,
      `https://intune.microsoft.com/${tenant}/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${user}`,
    ]);
    expect(devicePortalLinks('global', tenant, device).map((l) => l.url)).toEqual([
      `https://intune.microsoft.com/${tenant}/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/${device}`,
    ]);
  });

  it('builds no link from an id that is not a GUID (nothing rather than a broken link)', () => {
    expect(tenantPortalLinks('global', { microsoftTenantId: 'contoso.onmicrosoft.com', accessKind: 'gdap' })).toEqual([]);
    expect(userPortalLinks('global', tenant, 'x/../../admin')).toEqual([]);
    expect(devicePortalLinks('global', tenant, 'not-an-id')).toEqual([]);
  });
});

describe('links of the national clouds', () => {
  it('US Government: Entra and Intune on their .us hosts, no Microsoft 365 partner entry or Partner Center link', () => {
    const links = tenantPortalLinks('usGovernment', { microsoftTenantId: tenant, accessKind: 'gdap' });
    expect(links.map((l) => l.url)).toEqual([`https://entra.microsoft.us/${tenant}`, `https://intune.microsoft.us/${tenant}`]);
    expect(
      userPortalLinks('usGovernment', tenant, user).every(
        (l) => l.url.startsWith('https://entra.microsoft.us/') || l.url.startsWith('https://intune.microsoft.us/'),
      ),
    ).toBe(true);
    expect(devicePortalLinks('usGovernment', tenant, device)[0]?.url).toMatch(/^https:\/\/intune\.microsoft\.us\//);
  });

  it('China and the emulator: no portal link at all', () => {
    for (const cloud of ['china', 'none'] as const) {
      expect(tenantPortalLinks(cloud, { microsoftTenantId: tenant, accessKind: 'gdap' })).toEqual([]);
      expect(userPortalLinks(cloud, tenant, user)).toEqual([]);
      expect(devicePortalLinks(cloud, tenant, device)).toEqual([]);
    }
  });
});
