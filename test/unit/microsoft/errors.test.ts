import { readFileSync } from 'node:fs';
import { microsoftExamplesDir } from '../../support/reference.ts';
import { describe, expect, it } from 'vitest';
import { ServerError, InteractionRequiredAuthError } from '@azure/msal-node';
import { tokenFailureFrom, tokenFailureToError, adminConsentUrl, type TokenFailureContext } from '../../../src/microsoft/errors.ts';

const examples = microsoftExamplesDir;
const recorded = (name: string) => JSON.parse(readFileSync(`${examples}/${name}`, 'utf8')) as Record<string, unknown>;

const partner = '11111111-1111-4111-8111-111111111111';
const customer = '22222222-2222-4222-8222-222222222222';
const context = (tenantId = customer): TokenFailureContext => ({
  tenantId,
  partnerTenantId: partner,
  clientId: 'app-client-id',
  authorityHost: 'https://login.example.test',
  tenantName: 'Contoso, Ltd.',
});

function stsBody(code: number, error: string, text = 'message'): Record<string, unknown> {
  return {
    error,
    error_description:
      `AADSTS${code}: ${text}\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: x\r\nTimestamp: ` +
      `2024-01-01 00:00:00Z`,
    error_codes: [code],
    trace_id: '0000aaaa-11bb-cccc-dd22-eeeeee333333',
  };
}

function mapBody(body: Record<string, unknown>, tenantId = customer) {
  const failure = tokenFailureFrom(body);
  expect(failure).not.toBeNull();
  return tokenFailureToError(failure!, context(tenantId));
}

describe('AADSTS failures as technician actions', () => {
  it('recorded 7000215 says to paste the secret value, not its id, and stops the integration', () => {
    const error = mapBody(recorded('token-error-invalid_client-AADSTS7000215.json'), partner);
    expect(error.code).toBe('client_secret_rejected');
    expect(error.scope).toBe('partner');
    expect(error.action).toMatch(/Value, not its Secret ID/);
    expect(error.details.requestId).toBe('b179b7db-c957-4917-a1b6-66fab2042a00');
  });

  it('recorded 50173 (revoked grant) asks to reconnect the partner connection', () => {
    const error = mapBody(recorded('token-error-invalid_grant-AADSTS50173.recorded.json'));
    expect(error.code).toBe('partner_connection_expired');
    expect(error.scope).toBe('partner');
    expect(error.action).toMatch(/reconnect the integration/);
  });

  it('recorded 90002 at a customer is a tenant problem, at the partner a partner problem', () => {
    const body = recorded('token-error-invalid_tenant-AADSTS90002.recorded.json');
    expect(mapBody(body).code).toBe('tenant_not_found');
    expect(mapBody(body).scope).toBe('tenant');
    expect(mapBody(body, partner).scope).toBe('partner');
  });

  it('65001 is consent missing with an admin consent link built on the configured authority host', () => {
    const error = mapBody(stsBody(65001, 'invalid_grant'));
    expect(error.code).toBe('consent_missing');
    expect(error.scope).toBe('tenant');
    expect(error.message).toContain('Contoso, Ltd.');
    const link = adminConsentUrl('https://login.example.test', customer, 'app-client-id');
    expect(link).toBe(`https://login.example.test/${customer}/adminconsent?client_id=app-client-id`);
    expect(error.action).toContain(link);
    expect(error.details.consentUrl).toBe(link);
  });

  it('50020 names the GDAP security group problem for that tenant only', () => {
    const error = mapBody(stsBody(50020, 'invalid_grant'));
    expect(error.code).toBe('gdap_role_missing');
    expect(error.scope).toBe('tenant');
    expect(error.action).toMatch(/not in a security group with a role in tenant Contoso, Ltd\./);
  });

  it.each([50173, 700082])('%i means the partner connection expired', (code) => {
    const error = mapBody(stsBody(code, 'invalid_grant'));
    expect([error.code, error.scope]).toEqual(['partner_connection_expired', 'partner']);
  });

  it("70043 (sign-in frequency) at a customer is that customer's Conditional Access, at the partner an expired connection", () => {
    expect([mapBody(stsBody(70043, 'invalid_grant')).code, mapBody(stsBody(70043, 'invalid_grant')).scope]).toEqual([
      'conditional_access_blocked',
      'tenant',
    ]);
    const atPartner = mapBody(stsBody(70043, 'invalid_grant'), partner);
    expect([atPartner.code, atPartner.scope]).toEqual(['partner_connection_expired', 'partner']);
  });

  it.each([90033, 90055])('%i is transient, never a reconnect, even at the partner', (code) => {
    const error = mapBody(stsBody(code, 'temporarily_unavailable'), partner);
    expect([error.code, error.scope]).toEqual(['identity_unavailable', 'tenant']);
  });

  it('7000222 says the secret expired', () => {
    const error = mapBody(stsBody(7000222, 'invalid_client'), partner);
    expect([error.code, error.scope]).toEqual(['client_secret_expired', 'partner']);
    expect(error.action).toMatch(/new client secret/);
  });

  it('700016 is app not found', () => {
    expect(mapBody(stsBody(700016, 'unauthorized_client'), partner).code).toBe('app_not_found');
    expect(mapBody(stsBody(700016, 'unauthorized_client'), partner).scope).toBe('partner');
  });

  it.each([50076, 50079])('%i asks for MFA', (code) => {
    const error = mapBody(stsBody(code, 'interaction_required'));
    expect(error.code).toBe('mfa_required');
    expect(error.action).toMatch(/MFA/);
  });

  it('reads the same failure from MSAL errors (ServerError and InteractionRequiredAuthError)', () => {
    const body = recorded('token-error-invalid_grant-AADSTS50173.recorded.json');
    const server = new ServerError('invalid_grant', 'corr', body.error_description as string, 'bad_token', '50173', 400);
    const failure = tokenFailureFrom(server)!;
    expect(failure.errorCodes).toEqual([50173]);
    expect(failure.traceId).toBe('47a23f57-3717-4857-8fab-b3485aeba800');
    expect(tokenFailureToError(failure, context()).code).toBe('partner_connection_expired');

    const interaction = new InteractionRequiredAuthError('interaction_required', 'corr', 'AADSTS50076: Due to a configuration change…');
    expect(tokenFailureToError(tokenFailureFrom(interaction)!, context()).code).toBe('mfa_required');
  });

  it('an unknown AADSTS keeps its number in the message and stays tenant-scoped', () => {
    const error = mapBody(stsBody(123456, 'invalid_request'));
    expect(error.code).toBe('token_request_failed');
    expect(error.scope).toBe('tenant');
    expect(error.message).toContain('AADSTS123456');
  });

  it('never copies the raw description (which may echo request data) into the message', () => {
    const error = mapBody(stsBody(50020, 'invalid_grant', 'refresh_token=SECRET-RT-VALUE'));
    expect(JSON.stringify({ m: error.message, a: error.action, d: error.details })).not.toContain('SECRET-RT-VALUE');
  });
});
