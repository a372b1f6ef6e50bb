import type { Context } from 'hono';
import { ValidationError } from '../events/errors.js';
import { canonicalJson, sha256Hex } from '../events/hash.js';
import type { CommandOptions } from '../sessions/session-commands.js';

// The store refuses longer keys; saying so here names the header, not an internal field.
const MAX_KEY_LENGTH = 200;
// Node hands header bytes over as latin1, so a key sent as UTF-8 (or as no encoding at all)
// would be kept, and written into the events' meta, as characters its client never sent.
// Printable ASCII, as the Idempotency-Key draft's sf-string, means the same on both sides.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * What a write request's headers ask of its command: `Idempotency-Key` with a fingerprint of
 * the request, `If-Match` as the expected version, and the request id for the events' meta.
 */
export function commandOptions(c: Context, body: unknown): CommandOptions {
  const key = c.req.header('idempotency-key');
  const version = expectedVersion(c.req.header('if-match'));
  return {
    ...(key === undefined
      ? {}
      : { idempotencyKey: checkedKey(key), fingerprint: fingerprint(c, body) }),
    ...(version === undefined ? {} : { expectedVersion: version }),
    meta: { requestId: c.get('requestId') },
  };
}

/**
 * Tells two requests under one key apart: the method, the path (the session) and the body,
 * canonical so that key order and white space do not make a retry look different.
 */
function fingerprint(c: Context, body: unknown): string {
  return sha256Hex(`${c.req.method} ${c.req.path}\n${canonicalJson(body)}`);
}

function checkedKey(key: string): string {
  const wrong =
    key.length === 0 || key.length > MAX_KEY_LENGTH
      ? `must be 1 to ${MAX_KEY_LENGTH} characters`
      : PRINTABLE_ASCII.test(key)
        ? undefined
        : 'must be printable ASCII';
  if (wrong !== undefined) {
    throw new ValidationError('invalid Idempotency-Key', [
      { path: 'Idempotency-Key', message: wrong },
    ]);
  }
  return key;
}

/**
 * The session version an `If-Match` names: `3`, or as an entity tag, `"3"` or `W/"3"` (the
 * form of the ETag the session routes send). `*` only asks that the session exist, which
 * every command checks anyway.
 */
function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$|^\s*(\d{1,15})\s*$/.exec(ifMatch);
  const digits = match?.[1] ?? match?.[2];
  if (digits === undefined) {
    throw new ValidationError('invalid If-Match', [
      { path: 'If-Match', message: 'must be a session version: 3, "3" or W/"3"' },
    ]);
  }
  return Number(digits);
}
