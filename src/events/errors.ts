/**
 * The few typed errors the core throws. Each names what went wrong in domain terms; the HTTP
 * layer maps them to problem+json in one place, so no status code lives in the core.
 */

/** One field that failed validation: where (a path into the input) and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** The thing existed and was deleted: it answers 410, never 404. */
export class GoneError extends Error {
  override readonly name = 'GoneError';
}

/** The command is well-formed but illegal in the current state (an ended session, say). */
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';
}

/** The stream is not at the version the caller expected: someone else wrote first. */
export class VersionConflictError extends ConflictError {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly stream: string,
    readonly expected: string | number,
    readonly actual: number,
  ) {
    super(`stream ${stream} is at version ${actual}, expected ${expected}`);
  }
}

/** An idempotency key was used again for a different request. */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(readonly key: string) {
    super(`idempotency key ${JSON.stringify(key)} was already used for a different request`);
  }
}

export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
}

/** The log cannot take writes right now (disk full, read-only file, I/O error); reads may still work. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
