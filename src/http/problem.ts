import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  ConflictError,
  type FieldIssue,
  ForbiddenError,
  GoneError,
  IdempotencyKeyReusedError,
  NotFoundError,
  StoreUnavailableError,
  ValidationError,
  VersionConflictError,
} from '../events/errors.js';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: readonly FieldIssue[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Every problem `type` the server answers (`urn:sessionlog:problem:<kind>`), with what it
 * means: `problem()` takes only these, so the OpenAPI document lists them all.
 */
export const PROBLEM_KINDS = {
  validation: 'a parameter or the body is invalid: `errors` names each field',
  'unreadable-body': 'the body could not be read (broken framing, client went away)',
  'unsupported-media-type': 'the body is not application/json (UTF-8)',
  'content-too-large': 'the body is over 64 KiB',
  unauthorized: 'the token is missing or wrong',
  'host-not-allowed': 'the Host is not this server (DNS rebinding)',
  'origin-not-allowed': 'a page from this Origin may not write or read the log',
  forbidden: 'the cwd is a system directory, the filesystem root, or outside every --root',
  'not-found': 'no such route, session, stream or file',
  'method-not-allowed': 'the streams are read-only',
  conflict: 'a change to an ended session',
  gone: 'the session was deleted',
  'version-mismatch': 'If-Match named another version: `currentVersion` is the current one',
  'idempotency-key-reused': 'an Idempotency-Key repeated with another body',
  'rate-limited': 'too many sessions created from this client: `retryAfter` seconds',
  'too-many-connections': 'too many live subscriptions, from this client or in all',
  'upgrade-required': '/ws is a WebSocket: a plain GET is refused',
  'no-signing-key': 'this node has no checkpoint signing key',
  unavailable: 'the store is unreachable or the server is shutting down: retry',
  http: 'an HTTP-level refusal of the framework (status as given)',
  internal: 'the server failed to handle the request',
} as const;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export const PROBLEM_TYPE_PREFIX = 'urn:sessionlog:problem:';

/** A problem+json response. */
export function problem(
  status: ContentfulStatusCode,
  kind: ProblemKind,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const body: Problem = {
    type: `${PROBLEM_TYPE_PREFIX}${kind}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...extra,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

/** Thrown by the HTTP layer for what only HTTP knows (415, 413, 429, 401…). */
export class ProblemException extends HTTPException {
  constructor(response: Response) {
    super(response.status as ContentfulStatusCode, { res: response });
  }
}

/**
 * The one place typed errors become status codes. The core throws domain errors; routes
 * do not catch them.
 */
export function onError(error: Error, c: Context): Response {
  if (error instanceof HTTPException) {
    const response = error.getResponse();
    if (response.headers.get('content-type')?.startsWith('application/problem+json'))
      return response;
    const status = error.status as ContentfulStatusCode;
    return problem(status, 'http', error.message || (TITLES[status] ?? 'Error'));
  }
  if (error instanceof ValidationError) {
    return problem(400, 'validation', error.message, { errors: error.issues });
  }
  if (error instanceof ForbiddenError) return problem(403, 'forbidden', error.message);
  if (error instanceof NotFoundError) return problem(404, 'not-found', error.message);
  if (error instanceof GoneError) return problem(410, 'gone', error.message);
  if (error instanceof VersionConflictError) {
    // With If-Match the caller named a version and lost; without, a command is decided again
    // rather than refused, so only a store client's own expectation (or a new session's id
    // already taken) is left to conflict.
    return c.req.header('if-match') === undefined
      ? problem(409, 'conflict', error.message)
      : problem(412, 'version-mismatch', error.message, { currentVersion: error.actual });
  }
  if (error instanceof ConflictError) return problem(409, 'conflict', error.message);
  if (error instanceof IdempotencyKeyReusedError) {
    return problem(422, 'idempotency-key-reused', error.message);
  }
  if (error instanceof StoreUnavailableError) {
    return problem(503, 'unavailable', error.message, {}, { 'retry-after': '1' });
  }
  // The server's error handler (app.ts) logs it: only a 500 says nothing of its cause.
  return problem(500, 'internal', 'the server failed to handle this request');
}
