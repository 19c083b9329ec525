// Graph's error shape: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}
// (https://learn.microsoft.com/en-us/graph/errors and
// test/integration/emulator-graph/microsoft-examples/error-400-Request_UnsupportedQuery.json). Handlers
// throw GraphError; the dispatcher turns it into the body with the request's ids.

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

export const insufficientPrivileges = (): GraphError =>
  new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

/**
 * Intune refuses a caller without a role for devices with 401 UnknownError and the real reason,
 * "Forbidden", nested in the message as JSON (seen live; issue 12, item 4), not with a 403.
 */
export const intuneForbidden = (): GraphError =>
  new GraphError(
    401,
    'UnknownError',
    JSON.stringify({
      ErrorCode: 'Forbidden',
      Message: JSON.stringify({
        _version: 3,
        Message:
          'An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000' +
          ' - Activity ID: 00000000-0000-0000-0000-000000000000' +
          ' - Url: https://fef.msua01.manage.microsoft.com/DeviceFE/StatelessDeviceFEService/deviceManagement/managedDevices',
        CustomApiErrorPhrase: '',
        RetryAfter: null,
        ErrorSourceService: '',
        HttpHeaders: '{}',
      }),
      Target: null,
      Details: null,
      InnerError: null,
      InstanceAnnotations: [],
      TypeAnnotation: null,
    }),
  );

/** "Unsupported Query." is the exact message of Microsoft's sample for advanced-only filters. */
export const unsupportedQuery = (message = 'Unsupported Query.'): GraphError => new GraphError(400, 'Request_UnsupportedQuery', message);

export const badRequest = (message: string, code = 'BadRequest'): GraphError => new GraphError(400, code, message);

export const resourceNotFound = (segment: string): GraphError =>
  new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);

export const objectNotFound = (id: string): GraphError =>
  new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

/** Graph's innerError.date: UTC, second precision, no zone designator. */
export function errorDate(now: Date): string {
  return now.toISOString().slice(0, 19);
}

export function errorBody(error: GraphError, ids: { requestId: string; clientRequestId: string; now: Date }): unknown {
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: { date: errorDate(ids.now), 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId },
    },
  };
}
