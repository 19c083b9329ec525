// Errors of the identity platform in Microsoft's shape (STS error body, see
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow):
//   {"error","error_description":"AADSTSnnnn: msg\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: yyyy-MM-dd HH:mm:ssZ",
//    "error_codes":[n],"timestamp","trace_id","correlation_id","error_uri"[,"suberror"]}
// Status 400 for everything except invalid_client (401).
// Message texts follow https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
// and live recordings where we have them.
import { DAY_MS } from '../../time.ts';

export class StsError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string,
    readonly suberror?: string,
    /** Extra response headers, e.g. Retry-After on throttling. */
    readonly headers: Record<string, string> = {},
  ) {
    super(`AADSTS${code}: ${description}`);
    this.name = 'StsError';
  }
}

export interface StsErrorContext {
  traceId: string;
  correlationId: string;
  now: Date;
}

/** "2021-10-29 17:16:31Z", the STS timestamp format. */
export function stsTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function stsErrorBody(err: StsError, ctx: StsErrorContext): Record<string, unknown> {
  const timestamp = stsTimestamp(ctx.now);
  const body: Record<string, unknown> = {
    error: err.error,
    error_description:
      `AADSTS${err.code}: ${err.description}\r\nTrace ID: ${ctx.traceId}\r\nCorrelation ID: ` +
      `${ctx.correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: ctx.traceId,
    correlation_id: ctx.correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${err.code}`,
  };
  if (err.suberror) body.suberror = err.suberror;
  return body;
}

const bad = (error: string, code: number, description: string, suberror?: string) => new StsError(400, error, code, description, suberror);

/** The errors the emulator raises, by name. */
export const sts = {
  invalidTenant: (tenant: string) =>
    bad(
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check ` +
        `with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    ),
  missingParameter: (name: string) => bad('invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  malformed: () => bad('invalid_request', 9002313, 'Invalid request. Request is malformed or invalid.'),
  unsupportedGrantType: (grantType: string) =>
    bad('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`),
  unknownClient: (clientId: string, tenant: string) =>
    bad(
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not ` +
        `been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your ` +
        `authentication request to the wrong tenant.`,
    ),
  missingClientSecret: () =>
    new StsError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
  invalidClientSecret: (clientId: string) =>
    new StsError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, ` +
        `for a secret added to app '${clientId}'.`,
    ),
  invalidScope: (scope: string) =>
    bad('invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`),
  clientCredentialsScope: (scope: string) =>
    bad(
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to ` +
        `the resource identifier (application ID URI).`,
    ),
  revoked: (issuedAt: Date, validFrom: Date) =>
    bad(
      'invalid_grant',
      50173,
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their ` +
        `password. The grant was issued on '${issuedAt.toISOString()}' and the TokensValidFrom date (before which tokens are not valid) ` +
        `for this user is '${validFrom.toISOString()}'.`,
      'bad_token',
    ),
  inactiveRefreshToken: (issuedAt: Date) =>
    bad(
      'invalid_grant',
      700082,
      `The refresh token has expired due to inactivity. The token was issued on ${issuedAt.toISOString()} and was inactive for ` +
        `90.00:00:00.`,
      'bad_token',
    ),
  signInFrequency: (issuedAt: Date) =>
    bad(
      'invalid_grant',
      70043,
      `The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on ` +
        `${issuedAt.toISOString()} and the maximum allowed lifetime for this request is 3600.`,
      'bad_token',
    ),
  invalidRefreshToken: () => bad('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'),
  refreshTokenOtherClient: () =>
    bad(
      'invalid_grant',
      70000,
      "The provided value for the 'refresh_token' is not valid. The refresh token was issued to a different client.",
    ),
  codeRedeemed: () =>
    bad(
      'invalid_grant',
      54005,
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    ),
  codeExpired: () =>
    bad(
      'invalid_grant',
      70008,
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for ' +
        'this user and resource.',
    ),
  codeInvalid: () => bad('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'),
  codeOtherTenant: () =>
    bad('invalid_grant', 700005, 'Provided Authorization Code is intended to use against other tenant, thus rejected.'),
  codeOtherClient: () =>
    bad('invalid_grant', 70000, "The provided value for the 'code' parameter is not valid. The code was issued to a different client."),
  codeVerifierMismatch: () =>
    bad('invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'),
  redirectUriMismatch: (sent: string, expected: string) =>
    bad(
      'invalid_grant',
      500112,
      `The reply address '${sent}' does not match the reply address '${expected}' provided when requesting Authorization code.`,
    ),
  /** No documented code exists for "partner user has no active GDAP access" (none on the error codes page).
   *  From the customer tenant's point of view such a user is a foreign account with no presence there,
   *  which is exactly AADSTS50020's situation; the 50020/16000 family is what partners report seeing. */
  userNotInTenant: (upn: string, homeTenantId: string, tenantId: string, clientId: string, appName: string) =>
    bad(
      'invalid_grant',
      50020,
      `User account '${upn}' from identity provider 'https://sts.windows.net/${homeTenantId}/' does not exist in tenant '${tenantId}' ` +
        `and cannot access the application '${clientId}'(${appName}) in that tenant. The account needs to be added as an external user ` +
        `in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.`,
    ),
  consentRequired: (clientId: string, appName: string) =>
    bad(
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}' named '${appName}'. Send an interactive ` +
        `authorization request for this user and resource.`,
      'consent_required',
    ),
  mfaRequired: (resource: string) =>
    bad(
      'interaction_required',
      50076,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor ` +
        `authentication to access '${resource}'.`,
    ),
  mfaRegistrationRequired: (resource: string) =>
    bad(
      'interaction_required',
      50079,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor ` +
        `authentication to access '${resource}'.`,
    ),
  blockedByConditionalAccess: () =>
    bad('invalid_grant', 53003, 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.'),
  throttled: (retryAfterSeconds: number) =>
    new StsError(429, 'temporarily_unavailable', 90055, 'There are too many incoming requests. Please try again later.', undefined, {
      'retry-after': String(retryAfterSeconds),
    }),
  unavailable: (status: number) =>
    new StsError(status, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.'),
  notFound: () => new StsError(404, 'invalid_request', 9002313, 'Invalid request. Request is malformed or invalid.'),
  methodNotAllowed: () =>
    new StsError(405, 'invalid_request', 900561, 'The endpoint only accepts POST, OPTIONS requests. Received a GET request.'),
  serverError: () => new StsError(500, 'server_error', 50000, 'There was an error issuing a token or an issue with our sign-in service.'),
};

const GRAPH_RESOURCE_NAME = 'Microsoft Graph (00000003-0000-0000-c000-000000000000)';

/** AADSTS errors a fault rule can inject by code (`{ kind: 'aadsts', code }`). */
export function stsErrorForCode(code: number, now: Date): StsError {
  switch (code) {
    case 50076:
      return sts.mfaRequired(GRAPH_RESOURCE_NAME);
    case 50079:
      return sts.mfaRegistrationRequired(GRAPH_RESOURCE_NAME);
    case 70043:
      return sts.signInFrequency(new Date(now.getTime() - 2 * 3600_000));
    case 50173:
      return sts.revoked(new Date(now.getTime() - 3600_000), now);
    case 700082:
      return sts.inactiveRefreshToken(new Date(now.getTime() - 91 * DAY_MS));
    case 53003:
      return sts.blockedByConditionalAccess();
    case 90055:
      return sts.throttled(1);
    case 90033:
      return sts.unavailable(503);
    case 50000:
      return sts.serverError();
    default:
      return bad('invalid_request', code, 'Injected by the emulator fault rules.');
  }
}
