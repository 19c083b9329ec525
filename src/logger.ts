import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import { serializeErrorForLog } from './db/error-log.ts';

export type { Logger };

/** Paths pino blanks out wherever they appear: tokens, secrets, passwords, cookies. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.clientSecret',
  '*.client_secret',
  '*.refreshToken',
  '*.refresh_token',
  '*.accessToken',
  '*.access_token',
  '*.code_verifier',
  '*.encryptionKey',
  '*.secret',
  '*.token',
];

export function createLogger(config: Pick<Config, 'env' | 'log'>, destination?: pino.DestinationStream): Logger {
  const pretty = config.log.pretty === 'always' || (config.log.pretty === 'auto' && config.env === 'development' && process.stdout.isTTY);
  const options: pino.LoggerOptions = {
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Failed statements' values (personal data) stay out of the logs: db/error-log.ts.
    serializers: { err: serializeErrorForLog, error: serializeErrorForLog },
    base: { service: 'docsync' },
  };
  if (destination) return pino(options, destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2 } } });
  // Logs go to stderr: stdout is for command output (JSON lines other tools read).
  return pino(options, pino.destination(2));
}
