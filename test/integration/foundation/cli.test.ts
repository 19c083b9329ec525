// The docsync command line as a person or a script meets it: a real child process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const cli = path.join(root, 'bin', 'docsync.js');

function docsync(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCSYNC_ENV: 'test', ...env },
    timeout: 60_000,
  });
}

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('docsync command line', () => {
  it('lists its commands with --help', () => {
    const result = docsync(['--help']);
    expect(result.status).toBe(0);
    for (const command of ['serve', 'worker', 'migrate', 'sync', 'match', 'emulator', 'demo']) expect(result.stdout).toContain(command);
  });

  it('prints the usage on stderr and exits 2 for an unknown command', () => {
    const result = docsync(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('usage: docsync');
  });

  it('exits 2 with the usage for an unknown flag', () => {
    const result = docsync(['migrate', '--frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage: docsync migrate');
  });

  it('stops with exit 1 naming the setting when the configuration is wrong', () => {
    const result = docsync(['migrate'], { DOCSYNC_HTTP_PORT: '99999' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('http.port (from DOCSYNC_HTTP_PORT)');
  });

  it('says in one line which database it cannot reach, without a stack trace or the password', () => {
    const result = docsync(['migrate'], {
      DOCSYNC_DATABASE_URL: 'postgres://docsync:s3cret-pw@127.0.0.1:1/docsync',
      DOCSYNC_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('cannot reach the database (postgres 127.0.0.1:1/docsync): connection refused');
    expect(result.stderr).not.toContain('s3cret-pw');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('migrates an embedded database and generates its encryption key with mode 0600', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'docsync-cli-'));
    temporary.push(dir);
    const dataDir = path.join(dir, 'data');
    const first = docsync(['migrate'], { DOCSYNC_DATA_DIR: dataDir });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('applied');
    const second = docsync(['migrate', '--status'], { DOCSYNC_DATA_DIR: dataDir });
    expect(second.stdout).toContain('schema is current');

    const serve = docsync(['serve', '--port', 'x'], { DOCSYNC_DATA_DIR: dataDir });
    expect(serve.status).toBe(2);
    expect(existsSync(path.join(dataDir, 'encryption.key'))).toBe(false);
  });

  it('serves health and readiness on an embedded database and shuts down cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'docsync-serve-'));
    temporary.push(dir);
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DOCSYNC_ENV: 'test',
        DOCSYNC_LOG_LEVEL: 'info',
        DOCSYNC_DATA_DIR: path.join(dir, 'data'),
      },
    });
    let logs = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        logs += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)".*docsync is serving/.exec(logs);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${logs}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    expect((statSync(path.join(dir, 'data', 'encryption.key')).mode & 0o777).toString(8)).toBe('600');
    expect(existsSync(path.join(dir, 'encryption.key'))).toBe(false);

    const exitCode = await new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
    expect(exitCode).toBe(0);
    expect(logs).toContain('shutting down');
  });
});
