import type { AnyEvent, Envelope, NewEvent } from './envelope.js';
import { VersionConflictError } from './errors.js';
import { canonicalJson, chainHashOf, sha256Hex } from './hash.js';
import type { EventRegistry } from './schemas.js';
import type { AppendOptions, AppendResult, ExpectedVersion } from './store.js';
import { validateAppend } from './validate-append.js';

/** An append waiting in a store's queue for the next group commit. */
export interface PendingAppend {
  stream: string;
  events: readonly NewEvent<AnyEvent>[];
  expectedVersion: ExpectedVersion;
  idempotencyKey: string | undefined;
  /** Set with `idempotencyKey`, and only then: nothing else compares appends. */
  fingerprint: string | undefined;
  redecide: AppendOptions['redecide'];
  resolve(result: AppendResult<AnyEvent>): void;
  reject(error: unknown): void;
}

/**
 * Validates an append (throws a ValidationError naming every wrong field) and makes it
 * ready to queue. Nothing invalid reaches a store's queue.
 */
export function planAppend(
  stream: string,
  events: readonly NewEvent<AnyEvent>[],
  options: AppendOptions,
  registry: EventRegistry,
): Omit<PendingAppend, 'resolve' | 'reject'> {
  const parsed = validateAppend(stream, events, options, registry);
  const { expectedVersion = 'any', idempotencyKey, redecide } = options;
  // Made for a keyed append only (a SHA-256 of canonical JSON per append is no small part of
  // a durable write). Meta (request ids) differs between a request and its retry; the content
  // does not.
  const fingerprint =
    idempotencyKey === undefined
      ? undefined
      : (options.fingerprint ??
        sha256Hex(
          canonicalJson({ stream, events: parsed.map(({ type, data }) => ({ type, data })) }),
        ));
  return { stream, events: parsed, expectedVersion, idempotencyKey, fingerprint, redecide };
}

/** What a store keeps of an append made under an idempotency key. */
export interface IdempotencyRow {
  fingerprint: string;
  stream: string;
  first_position: number;
  position: number;
  version: number;
}

/** The answer to a repeated idempotency key: the first append's, with nothing appended. */
export function replayOf(row: IdempotencyRow): AppendResult<never> {
  return {
    stream: row.stream,
    firstPosition: row.first_position,
    position: row.position,
    version: row.version,
    replayed: true,
    events: [],
  };
}

export function checkExpectedVersion(
  stream: string,
  expected: ExpectedVersion,
  actual: number,
): void {
  const ok =
    expected === 'any' ||
    (expected === 'no-stream' && actual === 0) ||
    (expected === 'exists' && actual > 0) ||
    expected === actual;
  if (!ok) throw new VersionConflictError(stream, expected, actual);
}

/**
 * Whether an append on a stream now at `current` is to be decided again (it can be, and the
 * stream moved past the version it was decided on) rather than checked: the version of the
 * stream it was decided on, or undefined.
 */
export function redecidingFrom(
  pending: Pick<PendingAppend, 'expectedVersion' | 'redecide'>,
  current: number,
): number | undefined {
  const { expectedVersion, redecide } = pending;
  return redecide !== undefined && typeof expectedVersion === 'number' && current > expectedVersion
    ? expectedVersion
    : undefined;
}

/**
 * The append with the events it decides on the stream's events it `missed`, validated as
 * any append is before it is queued. Throws (the decision's own error, or a ValidationError)
 * to refuse the append; nothing of it is written yet.
 */
export function redecided<P extends PendingAppend>(
  pending: P,
  missed: readonly Envelope<AnyEvent>[],
  registry: EventRegistry,
): P {
  const events = (pending.redecide as NonNullable<PendingAppend['redecide']>)(missed);
  return { ...pending, events: validateAppend(pending.stream, events, {}, registry) };
}

/** An envelope with the canonical JSON text of its data and meta: what a store writes. */
export interface RecordedEvent {
  envelope: Envelope<AnyEvent>;
  data: string;
  meta: string;
}

/**
 * Stamps an append's events: positions after `head`, versions after `version`, ids, time,
 * meta, and the hash chain from `previousHash`. The text that is stored is the text that
 * is hashed: canonical JSON, made once.
 */
export function recordEvents(
  pending: Pick<PendingAppend, 'stream' | 'events' | 'idempotencyKey'>,
  at: { head: number; previousHash: string; version: number; time: string },
  registry: EventRegistry,
  newId: () => string,
): RecordedEvent[] {
  const { stream, events, idempotencyKey } = pending;
  let hash = at.previousHash;
  return events.map((event, i) => {
    const recorded = {
      position: at.head + 1 + i,
      id: newId(),
      stream,
      version: at.version + 1 + i,
      type: event.type,
      time: at.time,
      data: event.data,
      meta: {
        ...event.meta,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        schemaVersion: registry[event.type]?.schemaVersion ?? 1,
      },
    };
    const data = canonicalJson(recorded.data);
    const meta = canonicalJson(recorded.meta);
    hash = chainHashOf(hash, recorded, data, meta);
    return { envelope: { ...recorded, hash }, data, meta };
  });
}

/** The result of an append that recorded these (non-empty) envelopes. */
export function appendResult(
  stream: string,
  envelopes: readonly Envelope<AnyEvent>[],
): AppendResult<AnyEvent> {
  const first = envelopes[0] as Envelope<AnyEvent>;
  const last = envelopes.at(-1) as Envelope<AnyEvent>;
  return {
    stream,
    firstPosition: first.position,
    position: last.position,
    version: last.version,
    replayed: false,
    events: envelopes,
  };
}
