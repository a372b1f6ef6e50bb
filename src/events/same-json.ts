import { canonicalJson } from './hash.js';

/**
 * Whether two values have the same canonical JSON: what verify asks of a stored row and the
 * fold's, a few hundred thousand times on a big log. Values made of the same plain parts
 * (strings, numbers, booleans, null, plain objects with the same keys in the same order,
 * arrays of the same length) are compared part by part without writing any JSON, at a tenth
 * of the cost of writing both; what that walk does not call equal (keys in another order, a
 * key left out on one side and undefined on the other, NaN, a Date…) is decided by comparing
 * the two texts, so the answer is always canonicalJson(a) === canonicalJson(b), a throw
 * included.
 */
export function sameCanonicalJson(a: unknown, b: unknown): boolean {
  return samePlain(a, b) || canonicalJson(a) === canonicalJson(b);
}

/** True only when both are made of the same plain JSON parts (false decides nothing). */
function samePlain(a: unknown, b: unknown): boolean {
  if (a === null || typeof a !== 'object') {
    return a === b && (a === null || PLAIN_PRIMITIVES.has(typeof a));
  }
  if (b === null || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!samePlain(a[i], b[i])) return false;
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  const others = Object.keys(b);
  if (keys.length !== others.length) return false;
  for (let i = 0; i < keys.length; i++) {
    // The same keys in the same order (a row read back keeps its fields' order): then b's
    // own enumerable keys, the ones canonicalJson writes, are exactly a's.
    const key = keys[i] as string;
    if (others[i] !== key || !samePlain(a[key], b[key])) return false;
  }
  return true;
}

/** The primitives whose JSON is the same when they are `===` (undefined has none). */
const PLAIN_PRIMITIVES = new Set(['string', 'number', 'boolean']);

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
