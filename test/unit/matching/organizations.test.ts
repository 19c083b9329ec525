import { describe, expect, it } from 'vitest';
import { matchOrganizations } from '../../../src/matching/index.ts';
import { organization, tenant, unverified, verified } from './builders.ts';

const organizations = [
  organization('contoso', 'Contoso Ltd', ['contoso.com']),
  organization('northwind', 'Northwind Traders', ['northwindtraders.com']),
  organization('acme-corp', 'Acme Corp', ['acme.com']),
  organization('fabrikam', 'Fabrikam', ['fabrikam.com', 'fabrikam.onmicrosoft.com']),
  organization('adatum', 'Adatum', ['adatum.com']),
];
const one = (t: ReturnType<typeof tenant>, orgs = organizations) => matchOrganizations([t], orgs)[0];

describe('matching tenants to organizations', () => {
  it('keeps a tenant linked to its organization, whatever its name says', () => {
    expect(one(tenant('t', 'Contoso Ltd', { organizationId: 'adatum' }))).toEqual({
      tenantId: 't',
      state: 'matched',
      organizationId: 'adatum',
      rule: 'linked',
      suggestions: [],
    });
  });

  it('matches by name ignoring case, accents, punctuation and spacing', () => {
    expect(one(tenant('t', 'CONTOSO,  Ltd.'))).toMatchObject({ state: 'matched', organizationId: 'contoso', rule: 'name' });
    expect(one(tenant('t', 'Fàbrikam'))).toMatchObject({ state: 'matched', organizationId: 'fabrikam', rule: 'name' });
  });

  it('matches by a verified domain', () => {
    expect(one(tenant('t', 'Contoso Holding EMEA', { domains: [verified('Contoso.com')] }))).toMatchObject({
      state: 'matched',
      organizationId: 'contoso',
      rule: 'domain',
    });
  });

  it('matches a verified domain to an organization that lists it as a web address', () => {
    const web = [organization('woodgrove', 'Woodgrove Bank', ['https://www.woodgrovebank.com/'])];
    expect(one(tenant('t', 'WGB', { domains: [verified('woodgrovebank.com')] }), web)).toMatchObject({
      state: 'matched',
      organizationId: 'woodgrove',
      rule: 'domain',
    });
  });

  it('does not match by an unverified domain, but suggests its organization', () => {
    const decision = one(tenant('t', 'Something Else', { domains: [unverified('contoso.com')] }));
    expect(decision).toMatchObject({ state: 'suggested', organizationId: null, rule: null });
    expect(decision?.suggestions[0]?.organizationId).toBe('contoso');
  });

  it('does not match by a domain whose verification state is unknown', () => {
    const decision = one(tenant('t', 'Something Else', { domains: [{ id: 'contoso.com' }] }));
    expect(decision?.state).toBe('suggested');
  });

  it('matches by the initial onmicrosoft.com domain only when an organization lists it', () => {
    expect(one(tenant('t', 'FBK', { domains: [verified('fabrikam.onmicrosoft.com', { isInitial: true })] }))).toMatchObject({
      state: 'matched',
      organizationId: 'fabrikam',
      rule: 'domain',
    });
    expect(one(tenant('t', 'Totally Different', { domains: [verified('contoso.onmicrosoft.com', { isInitial: true })] }))?.state).not.toBe(
      'matched',
    );
  });

  it('suggests "Northwind Traders" for "Northwind Traders Inc." without matching it', () => {
    const decision = one(tenant('t', 'Northwind Traders Inc.'));
    expect(decision).toMatchObject({ state: 'suggested', organizationId: null, rule: null });
    expect(decision?.suggestions[0]?.organizationId).toBe('northwind');
  });

  it('never turns "Acme Health" into "Acme Corp"', () => {
    const decision = one(tenant('t', 'Acme Health'));
    expect(decision?.state).not.toBe('matched');
    expect(decision?.organizationId).toBeNull();
  });

  it('offers at most five suggestions, best first, scored from 0 to 1', () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      organization(
        `o${i}`,
        `Blue Yonder ` +
          `${['Airlines', 'Air', 'Airways', 'Aviation', 'Travel', 'Trips', 'Tours', 'Cargo', 'Freight', 'Labs', 'Systems', 'Group'][i]}`,
      ),
    );
    const suggestions = one(tenant('t', 'Blue Yonder Airline'), many)?.suggestions ?? [];
    expect(suggestions).toHaveLength(5);
    expect(suggestions[0]?.organizationId).toBe('o0');
    for (const s of suggestions) {
      expect(s.score).toBeGreaterThan(0);
      expect(s.score).toBeLessThanOrEqual(1);
    }
    expect([...suggestions].sort((a, b) => b.score - a.score)).toEqual(suggestions);
  });

  it('leaves a tenant unmatched when nothing resembles it', () => {
    expect(one(tenant('t', 'Zyxwvut Qqq'))).toEqual({
      tenantId: 't',
      state: 'unmatched',
      organizationId: null,
      rule: null,
      suggestions: [],
    });
  });

  it('matches no one when two organizations share the name, and suggests both', () => {
    const twins = [...organizations, organization('contoso-2', 'contoso ltd.')];
    const decision = one(tenant('t', 'Contoso Ltd'), twins);
    expect(decision).toMatchObject({ state: 'suggested', organizationId: null, rule: null });
    expect(decision?.suggestions.map((s) => s.organizationId)).toEqual(['contoso', 'contoso-2']);
  });

  it('matches no one when verified domains point at two organizations, and suggests both', () => {
    const decision = one(tenant('t', 'Merged Co', { domains: [verified('contoso.com'), verified('adatum.com')] }));
    expect(decision).toMatchObject({ state: 'suggested', organizationId: null });
    expect(decision?.suggestions.map((s) => s.organizationId)).toEqual(['contoso', 'adatum']);
  });

  it('asks when the name says one organization and a verified domain another', () => {
    const decision = one(tenant('t', 'Contoso Ltd', { domains: [verified('adatum.com')] }));
    expect(decision).toMatchObject({ state: 'suggested', organizationId: null });
    expect(decision?.suggestions.map((s) => s.organizationId)).toEqual(['contoso', 'adatum']);
  });

  it('decides every tenant, in the order given', () => {
    const decisions = matchOrganizations(
      [tenant('a', 'Adatum'), tenant('b', 'Nothing Alike At All'), tenant('c', 'x', { organizationId: 'acme-corp' })],
      organizations,
    );
    expect(decisions.map((d) => [d.tenantId, d.state])).toEqual([
      ['a', 'matched'],
      ['b', 'unmatched'],
      ['c', 'matched'],
    ]);
  });
});
