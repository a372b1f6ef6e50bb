import { invalid } from './query-params.js';

// The format's tag: a cursor of another format (a later version's) is refused, not misread.
const TAG = 's1';

/**
 * The `next` of a sessions page: where the following page starts (the page's last row's
 * values in the page order), as base64url JSON. Opaque to clients: they pass it back as is.
 */
export function encodeCursor(values: readonly string[]): string {
  return Buffer.from(JSON.stringify([TAG, ...values])).toString('base64url');
}

/** The values a cursor of ours holds (`arity` of them: the page order's text fields); else 400. */
export function decodeCursor(raw: string, arity: number): string[] {
  const refused = () =>
    invalid('cursor', 'is not a cursor this server gave (pass `next` back as is)');
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(raw)) throw refused();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== arity + 1 ||
    decoded[0] !== TAG ||
    !decoded.every((value) => typeof value === 'string')
  ) {
    throw refused();
  }
  return decoded.slice(1) as string[];
}
