// The Microsoft cloud emulator as a separate process (`docsync emulator`), so the process the
// sync bench measures holds docsync alone. Its own memory high-water mark is read from
// /proc/<pid>/status (VmHWM). The child is killed when this process exits, however it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The first stdout line of `docsync emulator` (see src/cli/emulator.ts). */
export interface EmulatorInfo {
  authorityHost: string;
  graphBaseUrl: string;
  partnerTenantId: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  customers: number;
}

export interface EmulatorProcess {
  info: EmulatorInfo;
  pid: number;
  /** Peak resident memory of the emulator process so far (MB), or null when /proc cannot tell. */
  peakRssMb(): number | null;
  stop(): Promise<void>;
}

export function peakRssOfProcessMb(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

export async function spawnEmulator(options: {
  seed: number;
  customers: number;
  usersPerTenant: number;
  cachedTenants?: number;
  /** Microsoft-like answer times, e.g. p50=200,p99=1500 (its --latency); none when null. */
  latency?: string | null;
  /** Graph enforces Microsoft's documented limits (its --throttle; 429s are counted by docsync's runs). */
  throttle?: boolean;
  startTimeoutMs?: number;
}): Promise<EmulatorProcess> {
  const logFile = path.join(tmpdir(), `docsync-bench-emulator-${process.pid}-${Date.now()}.log`);
  const logFd = openSync(logFile, 'w');
  // Generated tenants take ~3.4 MB each (users + devices): a heap to hold the ones it keeps.
  const heapMb = Math.max(2048, 1024 + 4 * (options.cachedTenants ?? 0));
  const args = [
    `--max-old-space-size=${heapMb}`,
    path.join(root, 'bin', 'docsync.js'),
    'emulator',
    '--port',
    '0',
    '--seed',
    String(options.seed),
    '--customers',
    String(options.customers),
    '--users-per-tenant',
    String(options.usersPerTenant),
    '--auto-consent',
    ...(options.latency ? ['--latency', options.latency] : []),
    ...(options.throttle ? ['--throttle'] : []),
    ...(options.cachedTenants ? ['--cached-tenants', String(options.cachedTenants)] : []),
  ];
  // Logs go to a file: an undrained stderr pipe would block the emulator once it fills.
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', logFd] });
  closeSync(logFd);
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const info = await new Promise<EmulatorInfo>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the emulator did not start within ${options.startTimeoutMs ?? 60_000} ms (log: ${logFile})`)),
      options.startTimeoutMs ?? 60_000,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as EmulatorInfo);
      } catch {
        reject(new Error(`the emulator's first line is not JSON: ${line.slice(0, 200)}`));
      }
      // Nothing else is expected on stdout, but keep draining it.
      child.stdout!.resume();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited before serving (code ${code}, signal ${signal}; log: ${logFile})`));
    });
  });

  return {
    info,
    pid: child.pid!,
    peakRssMb: () => peakRssOfProcessMb(child.pid!),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(forced);
      }
      process.off('exit', killOnExit);
    },
  };
}
