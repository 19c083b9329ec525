// Configuration: config/default.json, then config/<env>.json, then DOCSYNC_* environment
// variables, then explicit overrides (CLI flags, tests). Parsed once, validated, frozen.
// This is the only module that reads process.env.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validate as isValidCron } from 'node-cron';

const ENVIRONMENTS: readonly string[] = ['development', 'production', 'test'];
const Environment = Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')]);
const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)));
const Role = Type.Union([Type.Literal('read_only'), Type.Literal('technician'), Type.Literal('administrator')]);
const HttpUrl = Type.String({ pattern: '^https?://[^\\s/]+(/.*)?$' });

export const ConfigSchema = Type.Object(
  {
    env: Environment,
    database: Type.Object(
      {
        url: Type.Union([Type.String({ pattern: '^postgres(ql)?://' }), Type.Null()]),
        dataDir: Type.String({ minLength: 1 }),
        poolSize: Type.Integer({ minimum: 1, maximum: 200 }),
      },
      { additionalProperties: false },
    ),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        publicBaseUrl: Type.Union([HttpUrl, Type.Null()]),
        trustProxy: Type.Boolean(),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 104857600 }),
      },
      { additionalProperties: false },
    ),
    secrets: Type.Object(
      {
        // 32 bytes, base64 (44 characters). Null: the embedded database generates one.
        encryptionKey: Type.Union([Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' }), Type.Null()]),
        keyId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
        previousKeys: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }), Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' })),
      },
      { additionalProperties: false },
    ),
    microsoft: Type.Object(
      {
        authorityHost: HttpUrl,
        graphBaseUrl: HttpUrl,
        // Whose admin portals the pages link to (src/microsoft/portal-links.ts); auto: the authority host's cloud.
        portalCloud: Type.Union([
          Type.Literal('auto'),
          Type.Literal('global'),
          Type.Literal('usGovernment'),
          Type.Literal('china'),
          Type.Literal('none'),
        ]),
      },
      { additionalProperties: false },
    ),
    sso: Type.Object(
      {
        // "Sign in with Microsoft" against the MSP's own Entra tenant; null tenantId: off.
        tenantId: Type.Union([Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' }), Type.Null()]),
        clientId: Type.Union([Type.String({ pattern: '^[0-9a-fA-F-]{36}$' }), Type.Null()]),
        clientSecret: Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Null()]),
        autoCreate: Type.Boolean(),
        defaultRole: Role,
        groupRoles: Type.Record(Type.String({ pattern: '^[0-9a-fA-F-]{36}$' }), Role),
        only: Type.Boolean(),
        breakGlassUsername: Type.Union([Type.String({ minLength: 2, maxLength: 64 }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    sync: Type.Object(
      {
        schedule: Type.String({ minLength: 9 }),
        concurrency: Type.Integer({ minimum: 1, maximum: 64 }),
        tenantTimeBudgetSeconds: Type.Integer({ minimum: 10, maximum: 86400 }),
        fullResyncIntervalHours: Type.Integer({ minimum: 1, maximum: 720 }),
        runRetentionDays: Type.Integer({ minimum: 1, maximum: 3650 }),
        inactiveDays: Type.Integer({ minimum: 1, maximum: 3650 }),
        // How long a worker's claim on a tenant run lasts without a heartbeat: after a worker
        // dies (kill -9, lost machine) its tenant is picked up again this many seconds later.
        leaseSeconds: Type.Integer({ minimum: 3, maximum: 3600 }),
        // Adaptive concurrency (src/sync/concurrency.ts): a worker starts at `concurrency`
        // tenants, halves on Microsoft's 429s and grows by one while answers stay quick, up to
        // maxConcurrency, with at most maxInFlightRequests Graph requests at once and no new
        // tenant above memoryLimitMb of resident memory.
        maxConcurrency: Type.Integer({ minimum: 1, maximum: 256 }),
        maxInFlightRequests: Type.Integer({ minimum: 1, maximum: 1024 }),
        memoryLimitMb: Type.Integer({ minimum: 64, maximum: 65536 }),
        // Microsoft's per-app limit (2,000 requests/s across all tenants), paced by all workers
        // together through the database; the default leaves 10 % headroom.
        appRequestsPerSecond: Type.Integer({ minimum: 1, maximum: 2000 }),
      },
      { additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: LogLevel,
        pretty: Type.Union([Type.Literal('auto'), Type.Literal('always'), Type.Literal('never')]),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Readonly<Static<typeof ConfigSchema>>;

type Parse = 'string' | 'integer' | 'boolean' | 'nullableString' | 'json';

/** Every environment variable docsync reads, and the setting it fills. */
export const ENVIRONMENT_VARIABLES: ReadonlyArray<{ name: string; path: string; parse: Parse }> = [
  { name: 'DOCSYNC_ENV', path: 'env', parse: 'string' },
  { name: 'DOCSYNC_DATABASE_URL', path: 'database.url', parse: 'nullableString' },
  { name: 'DOCSYNC_DATA_DIR', path: 'database.dataDir', parse: 'string' },
  { name: 'DOCSYNC_DATABASE_POOL_SIZE', path: 'database.poolSize', parse: 'integer' },
  { name: 'DOCSYNC_HTTP_HOST', path: 'http.host', parse: 'string' },
  { name: 'DOCSYNC_HTTP_PORT', path: 'http.port', parse: 'integer' },
  { name: 'DOCSYNC_PUBLIC_BASE_URL', path: 'http.publicBaseUrl', parse: 'nullableString' },
  { name: 'DOCSYNC_HTTP_TRUST_PROXY', path: 'http.trustProxy', parse: 'boolean' },
  { name: 'DOCSYNC_HTTP_BODY_LIMIT_BYTES', path: 'http.bodyLimitBytes', parse: 'integer' },
  { name: 'DOCSYNC_ENCRYPTION_KEY', path: 'secrets.encryptionKey', parse: 'nullableString' },
  { name: 'DOCSYNC_ENCRYPTION_KEY_ID', path: 'secrets.keyId', parse: 'string' },
  { name: 'DOCSYNC_PREVIOUS_ENCRYPTION_KEYS', path: 'secrets.previousKeys', parse: 'json' },
  { name: 'DOCSYNC_MICROSOFT_AUTHORITY_HOST', path: 'microsoft.authorityHost', parse: 'string' },
  { name: 'DOCSYNC_MICROSOFT_PORTAL_CLOUD', path: 'microsoft.portalCloud', parse: 'string' },
  { name: 'DOCSYNC_MICROSOFT_GRAPH_BASE_URL', path: 'microsoft.graphBaseUrl', parse: 'string' },
  { name: 'DOCSYNC_SSO_TENANT_ID', path: 'sso.tenantId', parse: 'nullableString' },
  { name: 'DOCSYNC_SSO_CLIENT_ID', path: 'sso.clientId', parse: 'nullableString' },
  { name: 'DOCSYNC_SSO_CLIENT_SECRET', path: 'sso.clientSecret', parse: 'nullableString' },
  { name: 'DOCSYNC_SSO_AUTO_CREATE', path: 'sso.autoCreate', parse: 'boolean' },
  { name: 'DOCSYNC_SSO_DEFAULT_ROLE', path: 'sso.defaultRole', parse: 'string' },
  { name: 'DOCSYNC_SSO_GROUP_ROLES', path: 'sso.groupRoles', parse: 'json' },
  { name: 'DOCSYNC_SSO_ONLY', path: 'sso.only', parse: 'boolean' },
  { name: 'DOCSYNC_SSO_BREAK_GLASS_USERNAME', path: 'sso.breakGlassUsername', parse: 'nullableString' },
  { name: 'DOCSYNC_SYNC_SCHEDULE', path: 'sync.schedule', parse: 'string' },
  { name: 'DOCSYNC_SYNC_CONCURRENCY', path: 'sync.concurrency', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_TENANT_TIME_BUDGET_SECONDS', path: 'sync.tenantTimeBudgetSeconds', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_FULL_RESYNC_INTERVAL_HOURS', path: 'sync.fullResyncIntervalHours', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_RUN_RETENTION_DAYS', path: 'sync.runRetentionDays', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_INACTIVE_DAYS', path: 'sync.inactiveDays', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_LEASE_SECONDS', path: 'sync.leaseSeconds', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_MAX_CONCURRENCY', path: 'sync.maxConcurrency', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_MAX_IN_FLIGHT_REQUESTS', path: 'sync.maxInFlightRequests', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_MEMORY_LIMIT_MB', path: 'sync.memoryLimitMb', parse: 'integer' },
  { name: 'DOCSYNC_SYNC_APP_REQUESTS_PER_SECOND', path: 'sync.appRequestsPerSecond', parse: 'integer' },
  { name: 'DOCSYNC_LOG_LEVEL', path: 'log.level', parse: 'string' },
  { name: 'DOCSYNC_LOG_PRETTY', path: 'log.pretty', parse: 'string' },
];

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly problem: string,
    readonly source?: string,
  ) {
    super(`invalid configuration: ${setting}${source ? ` (from ${source})` : ''}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> | null : T[K] };

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  configDir?: string;
  overrides?: DeepPartial<Static<typeof ConfigSchema>>;
}

const defaultConfigDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'config');

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? defaultConfigDir;
  const sources = new Map<string, string>();

  const base = readJsonFile(path.join(configDir, 'default.json'));
  recordSources(base, '', 'config/default.json', sources);
  // Both names pick the environment (DOCSYNC_ENV first); an unknown value in either stops here
  // rather than quietly running as development with development's defaults.
  for (const name of ['DOCSYNC_ENV', 'NODE_ENV'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '' && !ENVIRONMENTS.includes(value)) {
      throw new ConfigError('env', `got "${value}"; accepted values: ${ENVIRONMENTS.join(', ')}`, name);
    }
  }
  const environment = env.DOCSYNC_ENV || env.NODE_ENV || (base.env as string);
  if (env.DOCSYNC_ENV) sources.set('env', 'DOCSYNC_ENV');
  else if (env.NODE_ENV) sources.set('env', 'NODE_ENV');
  const merged = deepMerge(base, { env: environment });
  const envFile = path.join(configDir, `${environment}.json`);
  if (existsSync(envFile)) {
    const perEnvironment = readJsonFile(envFile);
    recordSources(perEnvironment, '', `config/${environment}.json`, sources);
    deepMergeInto(merged, perEnvironment);
  }
  for (const variable of ENVIRONMENT_VARIABLES) {
    const raw = env[variable.name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, variable.path, parseVariable(variable.name, variable.path, raw, variable.parse));
    sources.set(variable.path, variable.name);
  }
  if (options.overrides) {
    recordSources(options.overrides, '', 'overrides', sources);
    deepMergeInto(merged, options.overrides as Record<string, unknown>);
  }

  const firstError = Value.Errors(ConfigSchema, merged).First();
  if (firstError) {
    const setting = firstError.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    throw new ConfigError(setting, describeProblem(firstError.schema, firstError.value, firstError.message), sources.get(setting));
  }
  const config = merged as unknown as Static<typeof ConfigSchema>;
  checkRules(config, sources);
  return deepFreeze(config);
}

function checkRules(config: Static<typeof ConfigSchema>, sources: Map<string, string>): void {
  if (!isValidCron(config.sync.schedule)) {
    throw new ConfigError(
      'sync.schedule',
      `"${config.sync.schedule}" is not a cron expression; expected five or six fields, e.g. "0 * * * *" (hourly)`,
      sources.get('sync.schedule'),
    );
  }
  if (config.sync.maxConcurrency < config.sync.concurrency) {
    throw new ConfigError(
      'sync.maxConcurrency',
      `${config.sync.maxConcurrency} is below sync.concurrency (${config.sync.concurrency}), the number of tenants a worker starts with`,
      sources.get('sync.maxConcurrency'),
    );
  }
  if (config.env === 'production' && config.secrets.encryptionKey === null) {
    throw new ConfigError(
      'secrets.encryptionKey',
      'production requires an encryption key: set DOCSYNC_ENCRYPTION_KEY to 32 random bytes in base64 (openssl rand -base64 32)',
    );
  }
  if (config.sso.tenantId !== null && (config.sso.clientId === null || config.sso.clientSecret === null)) {
    const setting = config.sso.clientId === null ? 'sso.clientId' : 'sso.clientSecret';
    const problem = "single sign-on (sso.tenantId is set) needs the app registration's client id and a client secret";
    throw new ConfigError(setting, problem, sources.get('sso.tenantId'));
  }
  if (config.sso.only && (config.sso.tenantId === null || config.sso.breakGlassUsername === null)) {
    const setting = config.sso.tenantId === null ? 'sso.tenantId' : 'sso.breakGlassUsername';
    const problem = 'sso.only needs single sign-on set up and one break-glass local administrator (sso.breakGlassUsername)';
    throw new ConfigError(setting, problem, sources.get('sso.only'));
  }
  for (const field of ['authorityHost', 'graphBaseUrl'] as const) {
    const value = config.microsoft[field];
    if (value.endsWith('/')) {
      throw new ConfigError(`microsoft.${field}`, 'must not end with "/"', sources.get(`microsoft.${field}`));
    }
    // Plain http would send tokens in clear: only the local emulator may use it.
    if (value.startsWith('http://') && !isLoopbackHost(new URL(value).hostname)) {
      throw new ConfigError(
        `microsoft.${field}`,
        `got "${value}"; http:// is accepted only for a local emulator (127.0.0.1, localhost, [::1]); use https://`,
        sources.get(`microsoft.${field}`),
      );
    }
  }
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function describeProblem(schema: TSchema, value: unknown, message: string): string {
  const shown = value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
  const literals = collectLiterals(schema);
  if (literals.length > 0) return `${shown}; accepted values: ${literals.join(', ')}`;
  if (schema.pattern === '^[A-Za-z0-9+/]{43}=$') return `${shown}; expected 32 bytes in base64 (openssl rand -base64 32)`;
  if (schema.type === 'integer') {
    return (
      `${shown}; expected a whole ` +
      `number${schema.minimum !== undefined ? ` from ${schema.minimum}` : ''}${schema.maximum !== undefined ? ` to ${schema.maximum}` : ''}`
    );
  }
  if (schema.pattern === '^postgres(ql)?://') return `${shown}; expected a postgres:// URL or null for the embedded database`;
  if (typeof schema.pattern === 'string' && schema.pattern.startsWith('^https?://')) return `${shown}; expected an http(s) URL`;
  if (schema.anyOf) {
    const kinds = (schema.anyOf as TSchema[]).map((s) => (s.type === 'null' ? 'null' : describeType(s)));
    return `${shown}; expected ${kinds.join(' or ')}`;
  }
  return `${shown}; ${message.toLowerCase()}`;
}

function describeType(schema: TSchema): string {
  if (typeof schema.pattern === 'string' && schema.pattern.startsWith('^https?://')) return 'an http(s) URL';
  if (schema.pattern === '^postgres(ql)?://') return 'a postgres:// URL';
  if (schema.pattern === '^[A-Za-z0-9+/]{43}=$') return '32 bytes in base64';
  return String(schema.type ?? 'a value');
}

function collectLiterals(schema: TSchema): string[] {
  if (schema.const !== undefined) return [String(schema.const)];
  if (Array.isArray(schema.anyOf)) {
    const all = (schema.anyOf as TSchema[]).map((s) => s.const);
    if (all.every((c) => c !== undefined)) return all.map(String);
  }
  return [];
}

function parseVariable(name: string, settingPath: string, raw: string, parse: Parse): unknown {
  switch (parse) {
    case 'string':
      return raw;
    case 'nullableString':
      return raw === 'null' ? null : raw;
    case 'integer': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(settingPath, `got "${raw}"; expected a whole number`, name);
      return Number(raw.trim());
    }
    case 'boolean': {
      const lowered = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(lowered)) return true;
      if (['false', '0', 'no'].includes(lowered)) return false;
      throw new ConfigError(settingPath, `got "${raw}"; accepted values: true, false`, name);
    }
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        throw new ConfigError(settingPath, 'expected a JSON object', name);
      }
  }
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('(file)', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isPlainObject(parsed)) throw new Error('not an object');
    return parsed;
  } catch (error) {
    throw new ConfigError('(file)', `${file} is not a JSON object: ${(error as Error).message}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(a);
  deepMergeInto(copy, b);
  return copy;
}

function deepMergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const existing = target[key];
    // Records (like previousKeys) are replaced as a whole; settings objects merge.
    if (isPlainObject(value) && isPlainObject(existing) && key !== 'previousKeys') deepMergeInto(existing, value);
    else target[key] = structuredClone(value);
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function recordSources(value: unknown, prefix: string, source: string, sources: Map<string, string>): void {
  if (!isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const full = prefix ? `${prefix}.${key}` : key;
    sources.set(full, source);
    if (key !== 'previousKeys') recordSources(child, full, source, sources);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The URL people reach docsync at: configured, or derived from host and port. */
export function publicBaseUrl(config: Config, listeningPort?: number): string {
  if (config.http.publicBaseUrl) return config.http.publicBaseUrl.replace(/\/$/, '');
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  return `http://${host}:${listeningPort ?? config.http.port}`;
}

/**
 * The base of the OAuth redirect URI Microsoft sends the authorization code to: publicBaseUrl,
 * or, only while docsync listens on a loopback host, that host and the port it really listens on.
 * Never the request's Host header, which the client chooses (a forged Host would send the code to
 * another site if the app registration allowed it, and mismatches the registered URI otherwise).
 */
export function oauthRedirectBase(config: Config, listeningPort?: number): string {
  if (config.http.publicBaseUrl) return publicBaseUrl(config);
  if (!isLoopbackHost(config.http.host)) {
    throw new ConfigError(
      'http.publicBaseUrl',
      `missing; required when docsync listens on "${config.http.host}" (not a loopback address): set DOCSYNC_PUBLIC_BASE_URL to the ` +
        `address people and Microsoft reach docsync at, e.g. https://docsync.example.com`,
    );
  }
  return publicBaseUrl(config, listeningPort);
}
