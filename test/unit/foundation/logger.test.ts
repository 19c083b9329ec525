import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: createLogger({ env: 'production', log: { level: 'info', pretty: 'never' } }, stream) };
}

describe('logs', () => {
  it('never carry tokens, secrets, passwords or cookies', () => {
    const { lines, log } = capture();
    log.info(
      {
        token: { refresh_token: '0.AAAA-refresh', access_token: 'eyJ0eXAi-access' },
        integration: { clientSecret: 'Abc8Q~secret-value', name: 'Contoso partner' },
        login: { password: 'hunter2' },
        req: { headers: { authorization: 'Bearer eyJ0eXAi-access', cookie: 'docsync_session=abc' } },
      },
      'connected',
    );
    const text = lines.join('');
    for (const secret of ['0.AAAA-refresh', 'eyJ0eXAi-access', 'Abc8Q~secret-value', 'hunter2', 'docsync_session=abc']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('Contoso partner');
    expect(text).toContain('[redacted]');
  });
});
