// Typed Microsoft errors. Every failure talking to the identity platform or Graph becomes a
// MicrosoftError with a scope (does it stop the whole integration, or one tenant?), a code,
// a technician-readable message and the action to take. The sync loop turns them into
// sync-log lines; web/errors.ts turns them into HTTP answers. No token, secret or raw
// response body ever goes into a message.
import { DocsyncError } from '../errors.ts';

/** partner: the integration itself is broken (stop the run, mark "needs reconnect");
 *  tenant: only this customer tenant is affected (other tenants carry on). */
export type MicrosoftErrorScope = 'partner' | 'tenant';

export type MicrosoftErrorCode =
  | 'consent_missing'
  | 'gdap_role_missing'
  | 'partner_connection_expired'
  | 'client_secret_rejected'
  | 'client_secret_expired'
  | 'tenant_not_found'
  | 'app_not_found'
  | 'mfa_required'
  | 'conditional_access_blocked'
  | 'service_not_enabled'
  | 'permission_missing'
  | 'throttled_out'
  | 'graph_unavailable'
  | 'resync_required'
  | 'not_connected'
  | 'token_request_failed'
  | 'identity_unavailable'
  | 'graph_request_failed';

export interface MicrosoftErrorDetails {
  /** Customer (or partner) tenant the failure happened in. */
  tenantId?: string;
  /** AADSTS number, when the identity platform gave one. */
  aadsts?: number;
  /** Graph or STS error code string (e.g. "Authorization_RequestDenied", "invalid_grant"). */
  upstreamCode?: string;
  /** HTTP status from Microsoft, when there was one. */
  httpStatus?: number;
  /** Graph's error message on a 4xx (never carries secrets): lifecycle actions translate it. */
  upstreamMessage?: string;
  /** Microsoft's request/trace id: quote it to Microsoft support. */
  requestId?: string;
  /** For consent_missing: the admin consent link to open. */
  consentUrl?: string;
}

export class MicrosoftError extends DocsyncError {
  readonly status: number;
  constructor(
    readonly code: MicrosoftErrorCode,
    readonly scope: MicrosoftErrorScope,
    message: string,
    action: string,
    readonly details: MicrosoftErrorDetails = {},
  ) {
    super(message, action);
    // Microsoft said no or is unreachable: a gateway problem from docsync's point of view.
    this.status = code === 'throttled_out' ? 503 : 502;
  }

  /** Partner-scope failures stop the integration's run and ask for a reconnect. */
  get stopsIntegration(): boolean {
    return this.scope === 'partner';
  }

  /** A one-line summary safe to log (no secrets ever enter these fields). */
  toLogFields(): Record<string, unknown> {
    return { code: this.code, scope: this.scope, message: this.message, action: this.action, ...this.details };
  }
}

/** users/delta answered 410 Gone (or syncStateNotFound): the stored deltaLink is dead, list in full. */
export class ResyncRequired extends MicrosoftError {
  /** `message`: why, when it is not Microsoft's 410 (e.g. the stored link names another Graph base). */
  constructor(tenantId: string, requestId?: string, message?: string) {
    super(
      'resync_required',
      'tenant',
      message ?? `the change feed (delta) for tenant ${tenantId} expired`,
      'nothing to do: docsync runs a full listing instead',
      { tenantId, httpStatus: 410, ...(requestId ? { requestId } : {}) },
    );
  }
}

export function isMicrosoftError(error: unknown): error is MicrosoftError {
  return error instanceof MicrosoftError;
}

// ---------------------------------------------------------------------------------------
// AADSTS → MicrosoftError

export interface TokenFailureContext {
  /** Tenant the token was requested for. */
  tenantId: string;
  partnerTenantId: string;
  clientId: string;
  /** config.microsoft.authorityHost: the consent link is built on it (no hard-coded cloud). */
  authorityHost: string;
  /** Optional display name of the tenant, used in messages. */
  tenantName?: string;
}

export interface TokenFailure {
  /** OAuth `error` ("invalid_grant", "invalid_client", …). */
  error?: string | undefined;
  /** AADSTS numbers (`error_codes` in the body, or MSAL's errorNo). */
  errorCodes?: number[] | undefined;
  /** `error_description` (starts with "AADSTSnnnn: …"). */
  description?: string | undefined;
  suberror?: string | undefined;
  traceId?: string | undefined;
  httpStatus?: number | undefined;
}

/** The admin consent link for the partner's app in one tenant (Microsoft's admin consent endpoint). */
export function adminConsentUrl(authorityHost: string, tenantId: string, clientId: string): string {
  const url = new URL(`${authorityHost}/${encodeURIComponent(tenantId)}/adminconsent`);
  url.searchParams.set('client_id', clientId);
  return url.toString();
}

/** The AADSTS number of a failure: error_codes first, else the "AADSTSnnnn:" prefix of the description. */
export function aadstsNumber(failure: TokenFailure): number | undefined {
  const fromCodes = failure.errorCodes?.find((n) => Number.isInteger(n) && n > 0);
  if (fromCodes !== undefined) return fromCodes;
  const match = /AADSTS(\d+)/.exec(failure.description ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Turns an identity-platform failure into a typed error with the technician's action. */
export function tokenFailureToError(failure: TokenFailure, context: TokenFailureContext): MicrosoftError {
  const code = aadstsNumber(failure);
  const tenant = context.tenantName ? `${context.tenantName} (${context.tenantId})` : context.tenantId;
  const isPartner = context.tenantId.toLowerCase() === context.partnerTenantId.toLowerCase();
  const tenantScope: MicrosoftErrorScope = isPartner ? 'partner' : 'tenant';
  const details: MicrosoftErrorDetails = {
    tenantId: context.tenantId,
    ...(code !== undefined ? { aadsts: code } : {}),
    ...(failure.error ? { upstreamCode: failure.error } : {}),
    ...(failure.httpStatus !== undefined ? { httpStatus: failure.httpStatus } : {}),
    ...(failure.traceId ? { requestId: failure.traceId } : {}),
  };
  const make = (
    errorCode: MicrosoftErrorCode,
    scope: MicrosoftErrorScope,
    message: string,
    action: string,
    extra: MicrosoftErrorDetails = {},
  ) => new MicrosoftError(errorCode, scope, message, action, { ...details, ...extra });

  // Transient: the identity platform is busy or hiccuped (429 AADSTS90055, 5xx AADSTS90033). The
  // broker has already retried; nothing is wrong with the connection, at any tenant (the
  // partner's included), so nobody needs to reconnect: the run tries again later.
  const transient =
    code === 90033 ||
    code === 90055 ||
    failure.error === 'temporarily_unavailable' ||
    failure.httpStatus === 429 ||
    (failure.httpStatus !== undefined && failure.httpStatus >= 500 && failure.httpStatus < 600);
  if (transient) {
    return make(
      'identity_unavailable',
      'tenant',
      `the identity platform was temporarily unavailable for tenant ${tenant}${code !== undefined ? ` (AADSTS${code})` : ''}`,
      'nothing to do: the sync tries again later',
    );
  }

  switch (code) {
    case 65001:
    case 90094:
    case 90095:
    case 90099: {
      const consentUrl = adminConsentUrl(context.authorityHost, context.tenantId, context.clientId);
      return make(
        'consent_missing',
        tenantScope,
        `consent missing in tenant ${tenant}: docsync's app (${context.clientId}) is not consented there`,
        `run the admin consent link as an administrator of that tenant: ${consentUrl}`,
        { consentUrl },
      );
    }
    case 50020:
    case 50034:
    case 16000:
    case 16003:
      return make(
        'gdap_role_missing',
        tenantScope,
        // Microsoft documents no separate code for an expired relationship: it is the same 50020.
        `the GDAP service account has no access to tenant ${tenant}: its GDAP relationship is no longer active, or gives the account's ` +
          `security group no role`,
        `the GDAP service account is not in a security group with a role in tenant ${tenant}'s relationship: renew the relationship in ` +
          `Partner Center if it expired, otherwise add the group to the active relationship's access assignments`,
      );
    case 70043:
      // Sign-in frequency (Conditional Access) is the policy of the tenant that asked for it: at a
      // customer, only that customer is affected; at the partner, the stored sign-in is done.
      if (!isPartner) {
        return make(
          'conditional_access_blocked',
          'tenant',
          `a Conditional Access sign-in frequency policy in tenant ${tenant} no longer accepts the stored sign-in (AADSTS70043)`,
          "ask the tenant administrator to exclude service provider (partner) sign-ins from the policy's sign-in frequency; " +
            'the other tenants sync on',
        );
      }
      return make(
        'partner_connection_expired',
        'partner',
        'the partner connection expired: a sign-in frequency policy in the partner tenant requires a new sign-in',
        'reconnect the integration (Integrations → Connect) with the GDAP service account',
      );
    case 50173:
    case 700082:
    case 700084:
      return make(
        'partner_connection_expired',
        'partner',
        'the partner connection expired: Microsoft no longer accepts the stored sign-in (revoked, expired or inactive for 90 days)',
        'reconnect the integration (Integrations → Connect) with the GDAP service account',
      );
    case 7000215:
      return make(
        'client_secret_rejected',
        'partner',
        `the client secret was rejected for app ${context.clientId}`,
        "paste the secret's Value, not its Secret ID (Entra admin center → App registrations → Certificates & secrets), then reconnect",
      );
    case 7000222:
      return make(
        'client_secret_expired',
        'partner',
        `the client secret of app ${context.clientId} has expired`,
        'create a new client secret in the Entra admin center, paste its Value into the integration and reconnect',
      );
    case 90002:
      return make(
        'tenant_not_found',
        tenantScope,
        `tenant ${tenant} was not found by Microsoft`,
        isPartner
          ? 'check the partner tenant id of the integration (and that the configured cloud is the right one)'
          : 'check that the customer still exists; if it left, its documentation stays and the tenant is marked inactive at the next ' +
              'discovery',
      );
    case 700016:
      return make(
        'app_not_found',
        tenantScope,
        `app ${context.clientId} was not found in tenant ${tenant}`,
        isPartner
          ? 'check the application (client) id of the integration: it must be the app registered in the partner tenant'
          : `the app is not provisioned in tenant ${tenant}: run the admin consent link ` +
              `${adminConsentUrl(context.authorityHost, context.tenantId, context.clientId)}`,
      );
    case 50076:
    case 50079:
    case 50074:
    case 50078:
      return make(
        'mfa_required',
        tenantScope,
        `tenant ${tenant} requires multi-factor authentication the stored sign-in does not carry`,
        'reconnect the integration and complete MFA with the GDAP service account (register MFA first if it is not set up)',
      );
    case 53003:
    case 530034:
      return make(
        'conditional_access_blocked',
        tenantScope,
        `a Conditional Access policy blocks the GDAP service account in tenant ${tenant}`,
        'ask the tenant administrator to exclude partner (service provider) sign-ins from that policy',
      );
    case 650052:
    case 500011:
      return make(
        'service_not_enabled',
        tenantScope,
        `tenant ${tenant} lacks a service docsync's app needs`,
        'check the tenant has Microsoft 365 / Entra subscriptions, then run discovery again',
      );
    default:
      break;
  }
  if (failure.error === 'invalid_client') {
    return make(
      'client_secret_rejected',
      'partner',
      `the app ${context.clientId} was rejected by Microsoft`,
      'check the client id and paste the client secret Value, then reconnect',
    );
  }
  if (failure.error === 'invalid_grant' && isPartner) {
    return make(
      'partner_connection_expired',
      'partner',
      'the partner connection is no longer accepted by Microsoft',
      'reconnect the integration',
    );
  }
  return make(
    'token_request_failed',
    tenantScope,
    `Microsoft refused a token for tenant ${tenant}${code !== undefined ? ` (AADSTS${code})` : failure.error ? ` (${failure.error})` : ''}`,
    code !== undefined
      ? `look up AADSTS${code} in Microsoft's error reference; run discovery again after fixing it`
      : 'try again later; if it persists, reconnect the integration',
  );
}

/** Extracts a TokenFailure from an MSAL error (ServerError / InteractionRequiredAuthError) or an STS JSON body. */
export function tokenFailureFrom(error: unknown): TokenFailure | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as Record<string, unknown>;
  // An STS JSON body: { error, error_description, error_codes, trace_id, suberror }
  if (typeof e.error === 'string' && ('error_description' in e || 'error_codes' in e)) {
    return {
      error: e.error,
      description: typeof e.error_description === 'string' ? e.error_description : undefined,
      errorCodes: Array.isArray(e.error_codes) ? e.error_codes.filter((n): n is number => typeof n === 'number') : undefined,
      suberror: typeof e.suberror === 'string' ? e.suberror : undefined,
      traceId: typeof e.trace_id === 'string' ? e.trace_id : undefined,
    };
  }
  // MSAL AuthError family: errorCode ("invalid_grant"), errorMessage ("AADSTS…"), subError, errorNo, status.
  if (typeof e.errorCode === 'string' && typeof e.errorMessage === 'string') {
    const errorNo = typeof e.errorNo === 'string' || typeof e.errorNo === 'number' ? Number(e.errorNo) : NaN;
    const traceMatch = /Trace ID: ([0-9a-f-]{36})/i.exec(e.errorMessage);
    return {
      error: e.errorCode,
      description: e.errorMessage,
      errorCodes: Number.isFinite(errorNo) && errorNo > 0 ? [errorNo] : undefined,
      suberror: typeof e.subError === 'string' && e.subError ? e.subError : undefined,
      traceId: traceMatch?.[1],
      httpStatus: typeof e.status === 'number' ? e.status : undefined,
    };
  }
  return null;
}

/** True when the failure says the refresh token itself is no longer good (rotation races end here). */
export function isInvalidGrant(failure: TokenFailure | null): boolean {
  return failure?.error === 'invalid_grant';
}
