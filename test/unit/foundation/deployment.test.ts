// No Docker engine runs in CI: these checks read compose.yaml, the Dockerfile and package.json
// and hold them to what the README promises (docker compose up starts a working set).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENVIRONMENT_VARIABLES } from '../../../src/config.ts';
import { commands } from '../../../src/cli/commands.ts';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  deploy?: { replicas?: number };
  volumes?: string[];
}
const compose = parse(readFileSync('compose.yaml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`compose.yaml has no service ${name}`);
  return found;
};

describe('compose.yaml', () => {
  it('starts Postgres on a named volume, with a health check', () => {
    const db = service('db');
    expect(db.image).toMatch(/^postgres:/);
    const [volume] = (db.volumes ?? [])[0]?.split(':') ?? [];
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(db.healthcheck?.test?.join(' ')).toContain('pg_isready');
  });

  it('runs migrate once, after Postgres is healthy, before serve and the workers', () => {
    const migrate = service('migrate');
    expect(migrate.command).toEqual(['migrate']);
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    for (const name of ['serve', 'worker']) {
      expect(service(name).depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    }
  });

  it('runs serve and two workers of the same image, each with a health check that fits it', () => {
    const serve = service('serve');
    const worker = service('worker');
    expect(serve.command).toEqual(['serve']);
    expect(serve.healthcheck?.test?.join(' ')).toContain('/readyz');
    expect(worker.deploy?.replicas).toBe(2);
    const [name, flag, file] = worker.command ?? [];
    expect([name, flag]).toEqual(['worker', '--health-file']);
    expect(commands.worker?.usage).toContain('--health-file');
    expect(worker.healthcheck?.test?.join(' ')).toContain(`statSync('${file}')`);
    for (const s of [service('migrate'), serve, worker]) {
      expect(s.image).toBe(serve.image);
      expect(s.build).toBe('.');
    }
  });

  it('configures docsync only through settings it knows, sharing the database and the key', () => {
    const known = new Set(ENVIRONMENT_VARIABLES.map((v) => v.name));
    for (const name of ['migrate', 'serve', 'worker']) {
      const environment = service(name).environment ?? {};
      expect(Object.keys(environment).filter((key) => !known.has(key))).toEqual([]);
      expect(environment.DOCSYNC_DATABASE_URL).toMatch(/^postgres:\/\/docsync:.*@db:5432\/docsync$/);
      expect(environment.DOCSYNC_ENCRYPTION_KEY).toMatch(/^\$\{DOCSYNC_ENCRYPTION_KEY:\?/);
    }
  });
});

describe('the runtime', () => {
  it('builds the image on a current LTS slim Node', () => {
    const froms = readFileSync('Dockerfile', 'utf8').match(/^FROM \S+/gm) ?? [];
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(/^FROM node:(22|24)-[a-z]+-slim$/);
  });

  it('declares Node 20.19+, 22 and 24 as supported', () => {
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines.split('||').map((range) => range.trim())).toEqual(['^20.19.0', '^22.13.0', '>=24']);
  });
});
