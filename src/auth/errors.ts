// Errors of signing in and of the request guards; web/errors.ts maps them to HTTP.
import { DocsyncError } from '../errors.ts';
import { LOCKOUT_MS, MAX_FAILED_SIGN_INS } from './lockout.ts';

export class InvalidCredentials extends DocsyncError {
  readonly status = 401;
  readonly code = 'invalid_credentials';
  constructor() {
    // One sentence for every refusal (unknown, wrong, locked, disabled): it names the lockout
    // rule without saying whether this account exists or is locked.
    super(
      `The username or password is wrong. After ${MAX_FAILED_SIGN_INS} failed attempts in a row an account is locked for ` +
        `${LOCKOUT_MS / 60_000} minutes.`,
    );
  }
}

export class LockedOut extends DocsyncError {
  readonly status = 429;
  readonly code = 'locked_out';
  constructor(readonly retryAfterSeconds: number) {
    super(
      `Too many failed sign-ins for this account. Try again in ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} minutes.`,
      'Wait, or ask an administrator to reset the password.',
    );
  }
}

export class CsrfRejected extends DocsyncError {
  readonly status = 403;
  readonly code = 'csrf_rejected';
  constructor() {
    super("This request did not carry the page's CSRF token. Reload the page and try again.");
  }
}
