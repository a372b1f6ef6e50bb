import type { Context } from 'hono';
import { ValidationError } from '../events/errors.js';
import { EVENT_PAGE } from '../protocol/pages.js';

/** An integer query parameter in [min, max], or undefined when absent; otherwise 400. */
export function integerParam(
  c: Context,
  name: string,
  { min, max }: { min: number; max: number },
): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(name, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** `after` and `limit`: where a page starts and how long it is. */
export function pageParams(c: Context): { after: number; limit: number } {
  return {
    after: integerParam(c, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0,
    limit: integerParam(c, 'limit', { min: 1, max: EVENT_PAGE.max }) ?? EVENT_PAGE.default,
  };
}

/**
 * `before` (1 ≤ P ≤ head + 1: the page just below it, newest first), or undefined when
 * absent. With `after` too it is a 400: a page runs one way.
 */
export function beforeParam(c: Context, head: number): number | undefined {
  const before = integerParam(c, 'before', { min: 1, max: head + 1 });
  if (before !== undefined && c.req.query('after') !== undefined) {
    throw invalid('before', 'a page is read either after a position or before it, not both');
  }
  return before;
}

/**
 * A comma-separated list (`types=A,B`), or undefined for "no filter" when absent or empty.
 * With `allowed`, a name outside it is a 400: a misspelt type would otherwise match nothing
 * and look like an empty log.
 */
export function listParam(
  c: Context,
  name: string,
  allowed?: readonly string[],
): string[] | undefined {
  const items = (c.req.query(name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) return undefined;
  const unknown = allowed === undefined ? [] : items.filter((item) => !allowed.includes(item));
  if (unknown.length > 0) {
    throw invalid(name, `unknown: ${unknown.join(', ')} (known: ${allowed?.join(', ')})`);
  }
  return [...new Set(items)];
}

/** One of `allowed`, or undefined when absent; otherwise 400. */
export function enumParam<T extends string>(
  c: Context,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw invalid(name, `must be one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

export function invalid(path: string, message: string): ValidationError {
  return new ValidationError(`invalid query parameter ${path}`, [{ path, message }]);
}
