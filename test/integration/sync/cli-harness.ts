// Runs `docsync` as a real child process (node bin/docsync.js …), the way an operator does, and
// waits on what it prints or on its exit, always with a deadline. Shared by the cli-* and
// workers-* suites.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningEmulator } from '../../../src/emulator/index.ts';
import type { AppContext } from '../../../src/context.ts';
import type { SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = path.join(PROJECT_ROOT, 'bin', 'docsync.js');

export interface DocsyncProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** Waits until stdout + stderr match, failing after `withinMs`. */
  waitForOutput(pattern: RegExp, withinMs?: number): Promise<RegExpMatchArray>;
}

/** Environment for a child docsync: nothing inherited that could point it elsewhere. */
export function docsyncEnv(settings: Record<string, string | number>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('DOCSYNC_') && key !== 'DATABASE_URL') env[key] = value;
  env.DOCSYNC_ENV = 'test';
  // No scheduled run may start in the middle of a test: the first minute of the year.
  env.DOCSYNC_SYNC_SCHEDULE = '0 0 1 1 *';
  for (const [key, value] of Object.entries(settings)) env[key] = String(value);
  return env;
}

/** The DOCSYNC_* settings that point a child at this test's database and emulator. */
export function childSettings(ctx: AppContext, emulator: RunningEmulator, databaseUrl: string): Record<string, string> {
  return {
    DOCSYNC_DATABASE_URL: databaseUrl,
    DOCSYNC_ENCRYPTION_KEY: ctx.config.secrets.encryptionKey!,
    DOCSYNC_MICROSOFT_AUTHORITY_HOST: emulator.urls.authorityHost,
    DOCSYNC_MICROSOFT_GRAPH_BASE_URL: emulator.urls.graphBaseUrl,
  };
}

export function startDocsync(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { command?: string; commandArgs?: string[] } = {},
): DocsyncProcess {
  const command = options.command ?? process.execPath;
  const child = spawn(command, options.commandArgs ?? [BIN, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    notify();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('close', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      notify();
    });
  });
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(pattern, withinMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = (out + err).match(pattern);
          if (match) return finish(() => resolve(match));
          if (ended) finish(() => reject(new Error(`docsync exited before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`timed out waiting for ${pattern}\nstdout: ${out}\nstderr: ${err}`))),
          withinMs,
        );
        const finish = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs docsync to its end (bounded) and returns its exit code and output. */
export async function runDocsync(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { withinMs?: number; command?: string; commandArgs?: string[] } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const proc = startDocsync(args, env, options);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), options.withinMs ?? 90_000);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** Polls (bounded) until `condition` yields a truthy value; never a fixed sleep. */
export async function until<T>(
  what: string,
  condition: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  withinMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Adds what the given processes printed to a failure, so a stuck child explains itself. */
export async function explained<T>(work: Promise<T>, ...processes: DocsyncProcess[]): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const output = processes.map((p) => `--- docsync pid ${p.pid}\nstdout: ${p.stdout()}\nstderr: ${p.stderr()}`).join('\n');
    throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
  }
}

/**
 * A GDAP integration connected to the emulator's partner, its tenants discovered, and each
 * tenant already documented as an organization of the same name and domain (as an MSP that
 * used IT Glue before docsync would have it), so every tenant's users become contacts.
 */
export async function connectEmulatedPartner(
  ctx: AppContext,
  emulator: RunningEmulator,
  options: { microsoft?: SyncMicrosoft } = {},
): Promise<string> {
  const microsoft = options.microsoft ?? ctx.microsoft;
  const c = emulator.credentials;
  const { id } = await microsoft.integrations.create({
    kind: 'gdap',
    name: 'Emulated partner',
    tenantId: c.partnerTenantId,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
  });
  await microsoft.integrations.storeRefreshToken(id, c.refreshToken);
  await microsoft.discovery.discover(id);
  const db = ctx.database.db;
  const tenants = await db.selectFrom('tenants').select(['display_name', 'default_domain']).where('integration_id', '=', id).execute();
  for (const t of tenants) {
    await db
      .insertInto('organizations')
      .values({ name: t.display_name, domains: t.default_domain ? [t.default_domain.toLowerCase()] : [] })
      .execute();
  }
  return id;
}
