import type { AnyEvent, Envelope, EventMeta, ProjectedEvent } from './envelope.js';
import type { EventVersions } from './event-types.js';
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

/** A page of the log as a fold takes it (see EventRowReader.foldPage). */
export interface FoldPage {
  /** The page's events of the types asked for, in position order, decoded as a fold folds them. */
  events: ProjectedEvent<AnyEvent>[];
  /** The last position the page read (undefined: the page was empty, the log ends). */
  last: number | undefined;
}

/** What a fold takes of the log (a projection is one). */
export interface FoldedTypes {
  /** The event types it folds; a reader skips the others before their JSON is parsed. */
  readonly handles: ReadonlySet<string>;
  /**
   * Of `handles`, the types whose data it never reads: a reader of stored rows hands them
   * over with `data` undefined, unparsed (on a busy log nine events in ten are FileChanged,
   * and parsing their data was a seventh of verify's time).
   */
  readonly dataNotRead?: ReadonlySet<string>;
}

/**
 * The log's rows read synchronously, in position order: what folding a projection needs of a
 * store (it skips the types it ignores before their JSON is parsed, and upcasts the rest).
 */
export interface EventRowReader {
  readonly registry: EventVersions;
  rows(options?: ReadOptions): Iterable<EventRow>;
  /**
   * A page of `rows` as a fold takes them, when the store can read less than whole rows:
   * the events of `types.handles` decoded as `decodeForFold` decodes them, the others skipped.
   * verify's fold reads every row of the log, and each column or object made per row for
   * nothing costs it a few percent.
   */
  foldPage?(page: { after: number; upTo: number; limit: number }, types: FoldedTypes): FoldPage;
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

/**
 * The event a projection folds, from a whole row: its data parsed and upcast as
 * `upcast(decodeRow(row))` gives it; meta is parsed for its schema version alone.
 */
export function decodeForFold(row: EventRow, registry: EventVersions): ProjectedEvent<AnyEvent> {
  const { position, stream, version, type, time, data, meta } = row;
  const from = (JSON.parse(meta) as EventMeta).schemaVersion;
  return foldedEvent(position, stream, version, type, time, data, from, registry);
}

/**
 * `decodeForFold` from the columns a fold reads: `dataJson` parsed and upcast from schema
 * version `from` (as JSON.parse of meta gives it: undefined when meta has none), or left out
 * (undefined) for a type whose data the fold never reads (FoldedTypes). Positional, so that a
 * reader of raw rows makes one object per event.
 */
export function foldedEvent(
  position: number,
  stream: string,
  version: number,
  type: string,
  time: string,
  dataJson: string | undefined,
  from: number | undefined,
  registry: EventVersions,
): ProjectedEvent<AnyEvent> {
  const data =
    dataJson === undefined
      ? undefined
      : upcastData(type, JSON.parse(dataJson), from, position, registry).data;
  return { position, stream, version, type, time, data } as ProjectedEvent<AnyEvent>;
}

/** Brings data written under an older schema version up to the current one. */
export function upcast(event: Envelope<AnyEvent>, registry: EventVersions): Envelope<AnyEvent> {
  const { type, data, meta, position } = event;
  const from = meta.schemaVersion;
  const upcast = upcastData(type, data, from, position, registry);
  if (upcast.schemaVersion === from) return event;
  return {
    ...event,
    data: upcast.data,
    meta: { ...meta, schemaVersion: upcast.schemaVersion ?? from },
  };
}

/** `data` of `type`, written under schema version `from`, brought up to the current one. */
function upcastData(
  type: string,
  data: unknown,
  from: number | undefined,
  position: number,
  registry: EventVersions,
): { data: unknown; schemaVersion: number | undefined } {
  const definition = registry[type];
  // An undefined version compares false with any, so it is left as it is (as it always was).
  if (definition === undefined || from === undefined || from >= definition.schemaVersion) {
    return { data, schemaVersion: from };
  }
  let version = from;
  for (; version < definition.schemaVersion; version++) {
    const step = definition.upcast?.[version];
    if (step === undefined) {
      throw new Error(`${type}: no upcaster from schema version ${version} (position ${position})`);
    }
    data = step(data);
  }
  return { data, schemaVersion: version };
}
