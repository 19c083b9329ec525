// Errors of the second factor and of step-up; web/errors.ts maps them to HTTP like the others.
import { DocsyncError } from '../errors.ts';

export class InvalidSecondFactor extends DocsyncError {
  readonly status = 401;
  readonly code = 'invalid_code';
  constructor() {
    super(
      'The code is wrong, expired or was used already.',
      'Enter the current code from your authenticator app, or one of your unused recovery codes.',
    );
  }
}

export class SignInChallengeExpired extends DocsyncError {
  readonly status = 401;
  readonly code = 'sign_in_expired';
  constructor() {
    super('This sign-in has expired or was already completed.', 'Enter your username and password again.');
  }
}

export class MfaEnrolmentRequired extends DocsyncError {
  readonly status = 403;
  readonly code = 'mfa_enrolment_required';
  constructor() {
    super(
      'An administrator requires a second factor for every technician: set one up first.',
      'Open /account/mfa and set up an authenticator app.',
    );
  }
}

export class FreshSecondFactorRequired extends DocsyncError {
  readonly status = 403;
  readonly code = 'step_up_required';
  constructor(minutes: number, viaApiToken: boolean) {
    super(
      viaApiToken
        ? `This needs a second factor confirmed within the last ${minutes} minutes, which an API token cannot give.`
        : `This needs a second factor confirmed within the last ${minutes} minutes.`,
      viaApiToken ? 'Do it from a browser session.' : 'Confirm a code at /account/verify (or POST /api/me/mfa/verify) and try again.',
    );
  }
}

export class MfaVerifiedSessionRequired extends DocsyncError {
  readonly status = 403;
  readonly code = 'mfa_required';
  constructor() {
    super(
      'Your account must use a second factor, so API tokens can only be created from a session that confirmed one.',
      'Sign in again with your code, or confirm one at /account/verify.',
    );
  }
}

/** A passkey's answer refused: the reason (for the audit log) and a message saying what to do. */
export class PasskeyRefused extends DocsyncError {
  readonly code = 'passkey_refused';
  constructor(
    readonly reason:
      | 'malformed'
      | 'wrong_origin'
      | 'unknown_challenge'
      | 'expired_challenge'
      | 'unknown_credential'
      | 'replayed_counter'
      | 'invalid_attestation'
      | 'invalid_assertion'
      | 'not_allowed',
    message: string,
    readonly status: 400 | 401 = 401,
  ) {
    super(message, 'Try the passkey again, or use another second factor.');
  }
}
