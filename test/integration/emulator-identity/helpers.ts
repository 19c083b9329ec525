// Shared by the identity platform's integration tests: an emulator on the hand-made world,
// and small HTTP helpers.
import { createHash } from 'node:crypto';
import { startEmulatorServers, type RunningEmulatorCore } from '../../../src/emulator/server.ts';
import { manualClock, stubWorld, type StubWorld } from '../../unit/emulator-identity/stub-world.ts';

export type TestEmulator = RunningEmulatorCore<StubWorld> & { clock: ReturnType<typeof manualClock> };

export async function startTestEmulator(options: { autoConsent?: boolean; seed?: number } = {}): Promise<TestEmulator> {
  const clock = manualClock();
  const emulator = await startEmulatorServers({
    world: stubWorld(),
    clock,
    seed: options.seed ?? 1,
    autoConsent: options.autoConsent ?? false,
  });
  return emulator as TestEmulator;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  return read(response);
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return read(await fetch(url, { headers, redirect: 'manual' }));
}

async function read(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    /* HTML or empty */
  }
  return { status: response.status, headers: response.headers, body, text };
}

export const VERIFIER = 'ThisIsntRandomButItNeedsToBe43CharactersLong';
export const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

export const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
