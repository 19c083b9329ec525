// A throwaway Postgres server for the test run: initdb into a temp dir, pg_ctl on 127.0.0.1
// with a free port, as the `postgres` user when running as root (initdb refuses root).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PostgresServer {
  url: string;
  stop(): void;
  /** Stops the server as an operator would (pg_ctl -m fast: sessions are terminated, open
   *  transactions roll back). Asynchronous, so code under test keeps running meanwhile. */
  stopFast(): Promise<void>;
  /** Starts it again on the same data directory and port (after stopFast). */
  start(): Promise<void>;
  /** stopFast() then start(): a Postgres restart. */
  restart(): Promise<void>;
}

function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) {
    throw new Error(
      "Postgres server binaries not found under /usr/lib/postgresql/*/bin: install Debian's postgresql package (apt-get install -y " +
        'postgresql), or set DATABASE_URL',
    );
  }
  return path.join(base, versions[0]!, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'docsync-pg-'));
  const dataDir = path.join(dir, 'data');
  const run = (file: string, args: string[]) => {
    const command = asRoot ? 'runuser' : file;
    const fullArgs = asRoot ? ['-u', 'postgres', '--', file, ...args] : args;
    const result = spawnSync(command, fullArgs, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${path.basename(file)} failed: ${result.stderr || result.stdout}`);
  };
  if (asRoot) {
    chmodSync(dir, 0o777);
    execFileSync('chown', ['postgres', dir]);
  }
  run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale']);
  const port = await freePort();
  const options =
    `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c ` +
    `synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-o', options, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  const runAsync = (file: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const command = asRoot ? 'runuser' : file;
      const fullArgs = asRoot ? ['-u', 'postgres', '--', file, ...args] : args;
      execFile(command, fullArgs, { encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${path.basename(file)} failed: ${stderr || stdout || error.message}`));
        else resolve();
      });
    });
  const pgCtl = path.join(bin, 'pg_ctl');
  const startAgain = () => runAsync(pgCtl, ['-D', dataDir, '-o', options, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  const stopFast = () => runAsync(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stopFast,
    start: startAgain,
    async restart() {
      await stopFast();
      await startAgain();
    },
    stop() {
      try {
        run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
