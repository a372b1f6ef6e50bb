import type { EventRow } from '../events/event-row.js';
import { canonicalJson } from '../events/hash.js';

const FIELDS = ['position', 'id', 'stream', 'version', 'type', 'time', 'data', 'meta', 'hash'];

/**
 * One line of an export (`sessionlog events`: an envelope as JSON) as the row it was read
 * from, data and meta as canonical JSON, so the chain is recomputed exactly as on a stored
 * log. Throws naming what is wrong; it checks the envelope's shape, not its data's schema.
 */
export function eventRowFromLine(text: string): EventRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('not an event: not a JSON object');
  }
  const event = value as Record<string, unknown>;
  const unknown = Object.keys(event).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined)
    throw new Error(`not an event: unknown field ${JSON.stringify(unknown)}`);
  const missing = FIELDS.find((key) => !(key in event));
  if (missing !== undefined) throw new Error(`not an event: no ${missing}`);
  const { position, id, stream, version, type, time, data, meta, hash } = event;
  for (const [name, field] of Object.entries({ id, stream, type, time, hash })) {
    if (typeof field !== 'string') throw new Error(`not an event: ${name} is not a string`);
  }
  for (const [name, field] of Object.entries({ position, version })) {
    if (!Number.isSafeInteger(field) || (field as number) < 1) {
      throw new Error(`not an event: ${name} is not a positive integer`);
    }
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new Error('not an event: meta is not an object');
  }
  return {
    position: position as number,
    id: id as string,
    stream: stream as string,
    version: version as number,
    type: type as string,
    time: time as string,
    data: canonicalJson(data),
    meta: canonicalJson(meta),
    hash: hash as string,
  };
}
