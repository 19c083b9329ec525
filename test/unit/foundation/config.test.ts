import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.ts';

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
      'invalid configuration: log.level (from DOCSYNC_LOG_LEVEL): got "loud"; accepted values: fatal, error, warn, info, debug, trace, silent',
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

  it('rejects a Microsoft host with a trailing slash', () => {
    expect(() => loadConfig({ env: { DOCSYNC_MICROSOFT_AUTHORITY_HOST: 'https://login.microsoftonline.us/' } })).toThrow(
      /microsoft\.authorityHost/,
    );
  });

  it('accepts plain http for Microsoft endpoints only on a loopback host (the emulator)', () => {
    expect(loadConfig({ env: { DOCSYNC_MICROSOFT_AUTHORITY_HOST: 'http://127.0.0.1:41001' } }).microsoft.authorityHost).toBe('http://127.0.0.1:41001');
    expect(() => loadConfig({ env: { DOCSYNC_MICROSOFT_GRAPH_BASE_URL: 'http://graph.example.com' } })).toThrow(/http:\/\/ is accepted only for a local emulator/);
  });
});
