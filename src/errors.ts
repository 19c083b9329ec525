// Typed errors. The HTTP error handler (web/errors.ts) maps them to status codes and the
// sync loop maps them to sync-log lines; `action` is what a technician can do about it.
export abstract class DocsyncError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly action?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DocsyncError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class Conflict extends DocsyncError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** 409: the contact is already another Microsoft user's; the technician confirms to go on. */
export class ContactHeldByAnotherUser extends DocsyncError {
  readonly status = 409;
  readonly code = 'contact_belongs_to_another_user';
}

export class BadInput extends DocsyncError {
  readonly status = 400;
  readonly code = 'bad_input';
}

export class Unauthenticated extends DocsyncError {
  readonly status = 401;
  readonly code = 'unauthenticated';
}

export class Forbidden extends DocsyncError {
  readonly status = 403;
  readonly code = 'forbidden';
}
