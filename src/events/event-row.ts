import type { AnyEvent, Envelope, EventMeta } from './envelope.js';
import type { EventRegistry } from './schemas.js';
import type { ReadOptions } from './store.js';

/** An events row as a store holds it: data and meta as their canonical JSON text. */
export interface EventRow {
  position: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  time: string;
  data: string;
  meta: string;
  hash: string;
}

/**
 * The log's rows read synchronously, in position order: what folding a projection needs of a
 * store (it skips the types it ignores before their JSON is parsed, and upcasts the rest).
 */
export interface EventRowReader {
  readonly registry: EventRegistry;
  rows(options?: ReadOptions): Iterable<EventRow>;
}

/**
 * The envelope's JSON text straight from the stored text: the same as JSON.stringify of the
 * decoded envelope (same keys, same order; data and meta are stored as canonical JSON).
 */
export function rowJson(row: EventRow): string {
  const { position, id, stream, version, type, time, data, meta, hash } = row;
  return `{"position":${position},"id":${JSON.stringify(id)},"stream":${JSON.stringify(stream)},"version":${version},"type":${JSON.stringify(type)},"time":${JSON.stringify(time)},"data":${data},"meta":${meta},"hash":${JSON.stringify(hash)}}`;
}

/** The stored event as it was written (verify hashes this form). */
export function decodeRow(row: EventRow): Envelope<AnyEvent> {
  return { ...row, data: JSON.parse(row.data), meta: JSON.parse(row.meta) as EventMeta };
}

/** Brings data written under an older schema version up to the current one. */
export function upcast(event: Envelope<AnyEvent>, registry: EventRegistry): Envelope<AnyEvent> {
  const definition = registry[event.type];
  let from = event.meta.schemaVersion;
  if (definition === undefined || from >= definition.schemaVersion) return event;
  let data = event.data;
  for (; from < definition.schemaVersion; from++) {
    const step = definition.upcast?.[from];
    if (step === undefined) {
      throw new Error(
        `${event.type}: no upcaster from schema version ${from} (position ${event.position})`,
      );
    }
    data = step(data);
  }
  return { ...event, data, meta: { ...event.meta, schemaVersion: from } };
}
