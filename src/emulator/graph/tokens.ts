// Opaque continuation tokens ($skiptoken, $deltatoken). Graph's are opaque base64 blobs; ours
// are base64url JSON with a kind and the server instance, so a token from another tenant, another
// endpoint or an earlier emulator run is recognised as unknown instead of being misread.

export function encodeToken(instanceId: string, kind: string, tenantId: string, state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ i: instanceId, k: kind, t: tenantId, ...state })).toString('base64url');
}

export function decodeToken<T extends object>(token: string, instanceId: string, kind: string, tenantId: string): T | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof value !== 'object' || value === null || value.i !== instanceId || value.k !== kind || value.t !== tenantId) return undefined;
    return value as T;
  } catch {
    return undefined;
  }
}
