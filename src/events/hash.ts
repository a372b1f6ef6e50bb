import { createHash, hash } from 'node:crypto';
import type { AnyEvent, Envelope } from './envelope.js';

/** The value the first event chains from (SPEC: "a fixed value"). */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted at every depth and no insignificant white space, so that the
 * same content hashes the same whichever store (SQLite text, PostgreSQL jsonb) held it.
 */
export function canonicalJson(value: unknown): string {
  // Most values are in key order already (the data of an export or of a stored row always
  // is), and for those the native writer makes the same text at a third of the cost: import
  // and append run this on every event.
  return writtenCanonically(value) ? (JSON.stringify(value) as string) : sortedJson(value);
}

/**
 * Whether JSON.stringify writes `value` as canonicalJson does: plain JSON data (null,
 * booleans, numbers, strings, dense arrays, objects made as literals or by JSON.parse) with
 * no undefined member and no toJSON, whose keys are in code unit order at every depth.
 */
function writtenCanonically(value: unknown): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (type !== 'object') return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || 'toJSON' in value) return false;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || !writtenCanonically(value[i])) return false;
    }
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  let previous: string | undefined;
  // for…in lists an object's keys in the order Object.keys and JSON.stringify do.
  for (const key in value as object) {
    if (previous !== undefined && previous > key) return false;
    if (!writtenCanonically((value as Record<string, unknown>)[key])) return false;
    previous = key;
  }
  return true;
}

/** canonicalJson written by hand: keys sorted where they are not in order already. */
function sortedJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`cannot encode ${typeof value} as JSON`);
    return json;
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (i in value) out += sortedJson(value[i]);
    }
    return `${out}]`;
  }
  const keys = Object.keys(value);
  for (let i = 1; i < keys.length; i++) {
    // Code unit order, as `<` compares strings (and as the default sort does).
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let out = '';
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${sortedJson(item)}`;
  }
  return `{${out}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The hash of one event, chained to the hash of the event before it. */
export function chainHash(previous: string, event: Omit<Envelope<AnyEvent>, 'hash'>): string {
  return chainHashOf(previous, event, canonicalJson(event.data), canonicalJson(event.meta));
}

/**
 * `chainHash` for a caller that has the canonical JSON of data and meta already (the store,
 * which writes that text): the content is canonicalJson of the event, keys in sorted order.
 */
export function chainHashOf(
  previous: string,
  event: Pick<Envelope<AnyEvent>, 'position' | 'id' | 'stream' | 'version' | 'type' | 'time'>,
  dataJson: string,
  metaJson: string,
): string {
  const { position, id, stream, version, type, time } = event;
  const content = `{"data":${dataJson},"id":${JSON.stringify(id)},"meta":${metaJson},"position":${position},"stream":${JSON.stringify(stream)},"time":${JSON.stringify(time)},"type":${JSON.stringify(type)},"version":${version}}`;
  return chainHashOfContent(previous, content);
}

/**
 * `chainHash` of the content text itself (what `chainHashOf` makes of the event): for a
 * reader that had the database assemble that text (verify).
 */
export function chainHashOfContent(previous: string, content: string): string {
  // One-shot: a Hash object per event cost more than the digest itself (verify, import).
  return hash('sha256', `${previous}\n${content}`, 'hex');
}
