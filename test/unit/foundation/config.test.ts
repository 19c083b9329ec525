import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, oauthRedirectBase } from '../../../src/config.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('configuration', () => {
  it('uses Microsoft global cloud hosts and the embedded database by default', () => {
    const config = loadConfig({ env: {} });
    expect(config.microsoft.authorityHost).toBe('https://login.microsoftonline.com');
    expect(config.microsoft.graphBaseUrl).toBe('https://graph.microsoft.com');
    expect(config.database.url).toBeNull();
    expect(config.database.dataDir).toBe('./.docsync/data');
    expect(config.sync.schedule).toBe('0 * * * *');
  });

  it('stops on an adaptive concurrency ceiling below the starting number, and on a per-app rate Microsoft would refuse', () => {
    expect(() => loadConfig({ env: { DOCSYNC_SYNC_CONCURRENCY: '8', DOCSYNC_SYNC_MAX_CONCURRENCY: '4' } })).toThrow(
      /sync\.maxConcurrency .*4 is below sync\.concurrency \(8\)/,
    );
    expect(() => loadConfig({ env: { DOCSYNC_SYNC_APP_REQUESTS_PER_SECOND: '5000' } })).toThrow(
      /sync\.appRequestsPerSecond .*from 1 to 2000/,
    );
    expect(loadConfig({ env: {} }).sync).toMatchObject({ maxConcurrency: 32, maxInFlightRequests: 64, memoryLimitMb: 384 });
  });

  it('takes DOCSYNC_* environment variables over the files', () => {
    const config = loadConfig({
      env: {
        DOCSYNC_HTTP_PORT: '9090',
        DOCSYNC_DATABASE_URL: 'postgres://u@db.internal:5432/docsync',
        DOCSYNC_MICROSOFT_GRAPH_BASE_URL: 'https://graph.microsoft.us',
        DOCSYNC_LOG_LEVEL: 'debug',
      },
    });
    expect(config.http.port).toBe(9090);
    expect(config.database.url).toBe('postgres://u@db.internal:5432/docsync');
    expect(config.microsoft.graphBaseUrl).toBe('https://graph.microsoft.us');
    expect(config.log.level).toBe('debug');
  });

  it('reads the per-environment file', () => {
    const config = loadConfig({ env: { DOCSYNC_ENV: 'test' } });
    expect(config.env).toBe('test');
    expect(config.log.level).toBe('silent');
  });

  it('is frozen', () => {
    const config = loadConfig({ env: {} });
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('names the setting, its source and the accepted values when a value is wrong', () => {
    expect(() => loadConfig({ env: { DOCSYNC_LOG_LEVEL: 'loud' } })).toThrow(
      'invalid configuration: log.level (from DOCSYNC_LOG_LEVEL): got "loud"; accepted values: fatal, error, warn, info, debug, trace, ' +
        'silent',
    );
  });

  it('rejects a port that is not a number', () => {
    expect(() => loadConfig({ env: { DOCSYNC_HTTP_PORT: 'eighty' } })).toThrow(/http\.port .*expected a whole number/);
  });

  it('rejects a cron schedule it cannot parse', () => {
    expect(() => loadConfig({ env: { DOCSYNC_SYNC_SCHEDULE: 'every hour please' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { DOCSYNC_SYNC_SCHEDULE: 'every hour please' } })).toThrow(/sync\.schedule/);
  });

  it('rejects an encryption key that is not 32 bytes of base64', () => {
    expect(() => loadConfig({ env: { DOCSYNC_ENCRYPTION_KEY: 'short' } })).toThrow(/secrets\.encryptionKey .*32 bytes in base64/);
  });

  it('requires an encryption key in production', () => {
    expect(() => loadConfig({ env: { DOCSYNC_ENV: 'production' } })).toThrow(/production requires an encryption key/);
    expect(loadConfig({ env: { DOCSYNC_ENV: 'production', DOCSYNC_ENCRYPTION_KEY: KEY } }).secrets.encryptionKey).toBe(KEY);
  });

  it('rejects an unknown environment name', () => {
    expect(() => loadConfig({ env: { DOCSYNC_ENV: 'staging' } })).toThrow(/env .*accepted values: development, production, test/);
  });

  it('stops on an unknown NODE_ENV too, naming where it came from, instead of running as development', () => {
    expect(() => loadConfig({ env: { NODE_ENV: 'staging' } })).toThrow(
      'invalid configuration: env (from NODE_ENV): got "staging"; accepted values: development, production, test',
    );
    expect(() => loadConfig({ env: { DOCSYNC_ENV: 'test', NODE_ENV: 'prod' } })).toThrow(/env \(from NODE_ENV\)/);
    expect(() => loadConfig({ env: { DOCSYNC_ENV: 'Production' } })).toThrow(/env \(from DOCSYNC_ENV\): got "Production"/);
    expect(loadConfig({ env: { NODE_ENV: 'test' } }).env).toBe('test');
    expect(loadConfig({ env: { NODE_ENV: 'development' } }).env).toBe('development');
  });

  it('takes the OAuth redirect URI from publicBaseUrl, and requires it outside loopback', () => {
    expect(oauthRedirectBase(loadConfig({ env: { DOCSYNC_HTTP_HOST: '127.0.0.1' } }), 41234)).toBe('http://127.0.0.1:41234');
    expect(
      oauthRedirectBase(
        loadConfig({ env: { DOCSYNC_HTTP_HOST: '0.0.0.0', DOCSYNC_PUBLIC_BASE_URL: 'https://docsync.example.com/' } }),
        8080,
      ),
    ).toBe('https://docsync.example.com');
    expect(() => oauthRedirectBase(loadConfig({ env: { DOCSYNC_HTTP_HOST: '0.0.0.0' } }), 8080)).toThrow(
      /http\.publicBaseUrl: missing; required when docsync listens on "0\.0\.0\.0"/,
    );
  });

  it('rejects a Microsoft host with a trailing slash', () => {
    expect(() => loadConfig({ env: { DOCSYNC_MICROSOFT_AUTHORITY_HOST: 'https://login.microsoftonline.us/' } })).toThrow(
      /microsoft\.authorityHost/,
    );
  });

  it('accepts plain http for Microsoft endpoints only on a loopback host (the emulator)', () => {
    expect(loadConfig({ env: { DOCSYNC_MICROSOFT_AUTHORITY_HOST: 'http://127.0.0.1:41001' } }).microsoft.authorityHost).toBe(
      'http://127.0.0.1:41001',
    );
    expect(() => loadConfig({ env: { DOCSYNC_MICROSOFT_GRAPH_BASE_URL: 'http://graph.example.com' } })).toThrow(
      /http:\/\/ is accepted only for a local emulator/,
    );
  });
});
