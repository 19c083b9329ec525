// Links into Microsoft's admin portals for one tenant, user or device ("Manage" in IT Glue), built
// from the configured cloud. Pure: ids and the cloud in, links out. A portal whose address in a cloud
// is not documented gets no link (never a guessed one), and neither does an id that is not a GUID,
// so the pages show nothing rather than a broken link.
//
// Where the forms come from:
// - Entra admin center user profile, Intune managed device: the blade addresses the portals use, as
//   linked by Microsoft partners' tools (CIPP: `entra.microsoft.com/{tenant}/#view/Microsoft_AAD_UsersAndTenants/
//   UserProfileMenuBlade/~/overview/userId/{id}`, `intune.microsoft.com/{tenant}/#view/Microsoft_Intune_Devices/
//   DeviceSettingsMenuBlade/~/overview/mdmDeviceId/{id}`); the tenant segment opens the customer's directory.
// - Microsoft 365 admin center as a partner (GDAP/DAP): Partner Center's service links,
//   `Partner/BeginClientSession.aspx?CTID={customer tenant}&CSDEST=o365admincenter`
//   (Partner Center REST API, "Get customer's service links").
// - Partner Center customer: `partner.microsoft.com/dashboard/commerce2/customers/{tenant}/adminrelationships`,
//   the customer's GDAP relationships.
// - US Government hosts: entra.microsoft.us (Microsoft Learn, Azure Government configuration tables) and
//   intune.microsoft.us (Microsoft Learn, "Tutorial: Walkthrough Microsoft Intune admin center").
//   The Microsoft 365 admin center partner entry and Partner Center have other, undocumented forms there:
//   no link. China (21Vianet): no portal form found documented: no link.

export type PortalCloud = 'global' | 'usGovernment' | 'china' | 'none';
/** config.microsoft.portalCloud: `auto` derives the cloud from the authority host. */
export type PortalCloudSetting = PortalCloud | 'auto';

export type Portal = 'm365' | 'entra' | 'intune' | 'partnerCenter';

export interface PortalLink {
  portal: Portal;
  label: string;
  url: string;
}

// The identity platform's host per cloud (Microsoft Learn, "National clouds", authentication endpoints).
const CLOUD_BY_AUTHORITY_HOST: Record<string, PortalCloud> = {
  'login.microsoftonline.com': 'global',
  'login.microsoftonline.us': 'usGovernment',
  'login.partner.microsoftonline.cn': 'china',
  'login.chinacloudapi.cn': 'china',
};

interface CloudPortals {
  entra?: string;
  intune?: string;
  m365Partner?: string;
  partnerCenter?: string;
}

const PORTALS: Record<PortalCloud, CloudPortals> = {
  global: {
    entra: 'https://entra.microsoft.com',
    intune: 'https://intune.microsoft.com',
    m365Partner: 'https://admin.microsoft.com',
    partnerCenter: 'https://partner.microsoft.com',
  },
  usGovernment: { entra: 'https://entra.microsoft.us', intune: 'https://intune.microsoft.us' },
  china: {},
  none: {},
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The cloud whose portals to link: the setting, or (auto) the one of the authority host; the emulator and unknown hosts: none. */
export function portalCloud(microsoft: { authorityHost: string; portalCloud?: PortalCloudSetting | undefined }): PortalCloud {
  const setting = microsoft.portalCloud ?? 'auto';
  if (setting !== 'auto') return setting;
  let host: string;
  try {
    host = new URL(microsoft.authorityHost).hostname.toLowerCase();
  } catch {
    return 'none';
  }
  return CLOUD_BY_AUTHORITY_HOST[host] ?? 'none';
}

export interface TenantRef {
  /** The customer's Entra tenant id (GUID). */
  microsoftTenantId: string;
  /** How docsync reaches it: a partner relationship (gdap, dap) or the customer's own sign-in (direct). */
  accessKind: 'gdap' | 'dap' | 'direct';
}

const userBlade = (base: string, tenant: string, userId: string) =>
  `${base}/${tenant}/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${userId}`;

/** The tenant in each portal of the cloud: Microsoft 365 admin center (as the partner), Entra, Intune, Partner Center. */
export function tenantPortalLinks(cloud: PortalCloud, tenant: TenantRef): PortalLink[] {
  const p = PORTALS[cloud];
  const tid = tenant.microsoftTenantId.toLowerCase();
  if (!GUID.test(tid)) return [];
  const partner = tenant.accessKind !== 'direct';
  const links: PortalLink[] = [];
  if (p.m365Partner && partner) {
    const url = new URL(`${p.m365Partner}/Partner/BeginClientSession.aspx`);
    url.searchParams.set('CTID', tid);
    url.searchParams.set('CSDEST', 'o365admincenter');
    links.push({ portal: 'm365', label: 'Microsoft 365 admin center', url: url.toString() });
  }
  if (p.entra) links.push({ portal: 'entra', label: 'Entra admin center', url: `${p.entra}/${tid}` });
  if (p.intune) links.push({ portal: 'intune', label: 'Intune admin center', url: `${p.intune}/${tid}` });
  if (p.partnerCenter && partner) {
    links.push({
      portal: 'partnerCenter',
      label: 'Partner Center (customer)',
      url: `${p.partnerCenter}/dashboard/commerce2/customers/${tid}/adminrelationships`,
    });
  }
  return links;
}

/** One user (by Entra object id) in the Entra and Intune admin centers of the cloud. */
export function userPortalLinks(cloud: PortalCloud, microsoftTenantId: string, userObjectId: string): PortalLink[] {
  const p = PORTALS[cloud];
  const tid = microsoftTenantId.toLowerCase();
  if (!GUID.test(tid) || !GUID.test(userObjectId)) return [];
  const links: PortalLink[] = [];
  if (p.entra) links.push({ portal: 'entra', label: 'Entra admin center', url: userBlade(p.entra, tid, userObjectId) });
  if (p.intune) links.push({ portal: 'intune', label: 'Intune admin center', url: userBlade(p.intune, tid, userObjectId) });
  return links;
}

/** One Intune managed device (by its Intune id) in the Intune admin center of the cloud. */
export function devicePortalLinks(cloud: PortalCloud, microsoftTenantId: string, managedDeviceId: string): PortalLink[] {
  const p = PORTALS[cloud];
  const tid = microsoftTenantId.toLowerCase();
  if (!p.intune || !GUID.test(tid) || !GUID.test(managedDeviceId)) return [];
  return [
    {
      portal: 'intune',
      label: 'Intune admin center',
      url: `${p.intune}/${tid}/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/${managedDeviceId}`,
    },
  ];
}
