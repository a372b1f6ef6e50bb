import type { SessionEvent } from './schemas.js';

/** Any event before the log stamps it: the type names its schema. */
export interface AnyEvent {
  type: string;
  data: unknown;
}

/**
 * What an auditor wants beside the data: the schema version the data was written in, and
 * who asked for the change (request id, idempotency key, actor).
 */
export interface EventMeta {
  schemaVersion: number;
  requestId?: string;
  idempotencyKey?: string;
  actor?: string;
  [key: string]: unknown;
}

/** The fields the log adds when it records an event (SPEC, "The event envelope"). */
export interface RecordedFields {
  /** Global offset in the log: 1, 2, 3, … in commit order. */
  position: number;
  id: string;
  stream: string;
  /** 1-based index of the event within its stream. */
  version: number;
  time: string;
  meta: EventMeta;
  /** SHA-256 over the previous event's hash and this event's canonical content. */
  hash: string;
}

export type Envelope<E extends AnyEvent = SessionEvent> = RecordedFields & E;

/**
 * What a projection reads of an event: the envelope without its id, meta and hash. A
 * projection's rows follow from the data and where the event stands in the log (stream,
 * version, position, time), never from who asked or from the chain, so a fold need not read
 * or parse the rest (verify folds every row of the log; a projection that needs more widens
 * this type and the stores' `foldPage`).
 */
export type ProjectedEvent<E extends AnyEvent = SessionEvent> = Omit<
  RecordedFields,
  'id' | 'meta' | 'hash'
> &
  E;

/** An event as a caller hands it to `append`: meta is optional and merged with the log's own. */
export type NewEvent<E extends AnyEvent = SessionEvent> = E & {
  meta?: Partial<Omit<EventMeta, 'schemaVersion'>>;
};
