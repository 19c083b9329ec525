// getEmailActivityUserDetail as Microsoft serves it (issue 17): 302 to the download host, CSV
// with the documented header (https://learn.microsoft.com/graph/api/reportroot-getemailactivityuserdetail),
// period or date, concealed names as hashes, Reports.Read.All required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

const HEADER =
  'Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,' +
  'Read Count,Meeting Created Count,Meeting Interacted Count,Assigned Products,Report Period';

let h: Harness;
let c: string[];

beforeAll(async () => {
  h = await startHarness({ customers: 2, usersPerTenant: 40 });
  c = h.world.customers().map((p) => p.tenantId);
});
afterAll(() => h?.close());

describe('getEmailActivityUserDetail', () => {
  it('redirects to a CSV download with the documented columns, one row per Exchange user', async () => {
    const redirect = await h.get("/v1.0/reports/getEmailActivityUserDetail(period='D30')", h.appToken(c[0]!));
    expect(redirect.status).toBe(302);
    const csv = await (await fetch(redirect.headers.get('location')!)).text();
    const [header, ...rows] = csv.trimEnd().split('\n');
    expect(header).toBe(HEADER);
    const exchangeUsers = h.world.activeUserDetail(c[0]!).filter((r) => r.hasExchangeLicense);
    expect(rows).toHaveLength(exchangeUsers.length);
    expect(rows[0]!.split(',').at(-1)).toBe('30');
    expect(csv).toContain(exchangeUsers[0]!.userPrincipalName);
  });

  it('accepts a date instead of a period, refuses neither, and needs Reports.Read.All', async () => {
    expect((await h.get('/v1.0/reports/getEmailActivityUserDetail(date=2025-05-30)', h.appToken(c[0]!))).status).toBe(302);
    expect((await h.get('/v1.0/reports/getEmailActivityUserDetail()', h.appToken(c[0]!))).status).toBe(400);
    expect((await h.get("/v1.0/reports/getEmailActivityUserDetail(period='D7')", h.appToken(c[0]!, ['User.Read.All']))).status).toBe(403);
  });

  it('conceals user names as 32-character hashes where the tenant conceals report names', async () => {
    const redirect = await h.get("/v1.0/reports/getEmailActivityUserDetail(period='D7')", h.appToken(c[1]!));
    const csv = await (await fetch(redirect.headers.get('location')!)).text();
    const row = csv.split('\n')[1]!.split(',');
    expect(row[1]).toMatch(/^[0-9A-F]{32}$/);
    expect(row[2]).toMatch(/^[0-9A-F]{32}$/);
  });
});
