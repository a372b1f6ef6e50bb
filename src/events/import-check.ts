import type { AnyEvent, Envelope, EventMeta } from './envelope.js';
import type { EventRow } from './event-row.js';
import { canonicalJson, chainHashOf, GENESIS_HASH } from './hash.js';
import type { EventRegistry } from './schemas.js';
import { wellFormed } from './well-formed.js';

/**
 * An import refused: a line of the export that cannot go into the log (where, and why), or a
 * target that cannot take it (no line).
 */
export class ImportRefused extends Error {
  override readonly name = 'ImportRefused';
  constructor(
    readonly line: number | undefined,
    readonly position: number | undefined,
    /** Why, without where (the message says both). */
    readonly reason: string,
  ) {
    const at = [
      ...(line === undefined ? [] : [`line ${line}`]),
      ...(position === undefined ? [] : [`position ${position}`]),
    ];
    super(at.length === 0 ? reason : `${at.join(', ')}: ${reason}`);
  }
}

/** An imported event: the row a store writes (canonical text) and the envelope projections fold. */
export interface ImportedEvent {
  row: EventRow;
  envelope: Envelope<AnyEvent>;
}

const KEYS = ['position', 'id', 'stream', 'version', 'type', 'time', 'data', 'meta', 'hash'];
const KNOWN = new Set(KEYS);
const HASH = /^[0-9a-f]{64}$/;
// What `Date.toISOString` writes, which is how every store stamps `time`.
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Checks an NDJSON export one line at a time, as `sessionlog import` reads it: each line an
 * envelope (these nine fields, nothing else) of a known type whose data its schema accepts,
 * positions 1, 2, 3, … without a gap, each stream's versions 1, 2, 3, …, and each hash
 * recomputed from the content and the previous hash. What passes is exactly what the source
 * log held, so the chain carries over unchanged. Holds one version per stream, not the events.
 */
export class ImportCheck {
  readonly #registry: EventRegistry;
  #previous = GENESIS_HASH;
  readonly #versions = new Map<string, number>();
  /** Events accepted so far (the last one's position). */
  head = 0;

  constructor(registry: EventRegistry) {
    this.#registry = registry;
  }

  /** The hash of the last accepted event (the genesis value before the first). */
  get lastHash(): string {
    return this.#previous;
  }

  /** Checks line `line` (1-based) of the export; throws ImportRefused naming it. */
  next(text: string, line: number): ImportedEvent {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ImportRefused(line, undefined, `not JSON (${(error as Error).message})`);
    }
    const event = envelopeOf(parsed, line);
    const { position, stream, version, type } = event;
    const refuse = (reason: string) => new ImportRefused(line, position, reason);
    if (position !== this.head + 1) {
      throw refuse(
        position <= this.head
          ? `position ${position} again or out of order (the last was ${this.head})`
          : `position ${this.head + 1} is missing (next is ${position})`,
      );
    }
    const previousVersion = this.#versions.get(stream) ?? 0;
    if (version !== previousVersion + 1) {
      throw refuse(
        version <= previousVersion
          ? `stream ${stream} has version ${version} already`
          : `stream ${stream} jumps from version ${previousVersion} to ${version}`,
      );
    }
    const definition = this.#registry[type];
    if (definition === undefined) {
      throw refuse(`unknown event type ${JSON.stringify(type)}`);
    }
    const { schemaVersion } = event.meta;
    if (schemaVersion > definition.schemaVersion) {
      throw refuse(
        `${type} schema version ${schemaVersion} is newer than this sessionlog's (${definition.schemaVersion})`,
      );
    }
    // Data as written at an older version is checked in the shape its upcasters make of it;
    // a lone surrogate an older log holds is checked as the U+FFFD the databases keep.
    let current = event.data;
    for (let from = schemaVersion; from < definition.schemaVersion; from++) {
      const step = definition.upcast?.[from];
      if (step === undefined) throw refuse(`${type}: no upcaster from schema version ${from}`);
      current = step(current);
    }
    const valid = definition.schema.safeParse(wellFormed(current));
    if (!valid.success) {
      const issue = valid.error.issues[0];
      const where = issue?.path.length ? ` at data.${issue.path.join('.')}` : '';
      throw refuse(`invalid ${type} data${where}: ${issue?.message ?? 'refused by its schema'}`);
    }
    const data = canonicalJson(event.data);
    const meta = canonicalJson(event.meta);
    if (chainHashOf(this.#previous, event, data, meta) !== event.hash) {
      // Looked at only here: a hash equal to the one computed is 64 lowercase hex digits.
      throw refuse(
        HASH.test(event.hash)
          ? 'hash does not match the content and the previous hash'
          : 'hash must be 64 hex digits',
      );
    }
    this.#previous = event.hash;
    this.#versions.set(stream, version);
    this.head = position;
    return { row: { ...event, data, meta }, envelope: event };
  }
}

/** The parsed line as an envelope, or ImportRefused naming the field at fault. */
function envelopeOf(value: unknown, line: number): Envelope<AnyEvent> {
  const refuse = (reason: string) => new ImportRefused(line, undefined, reason);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw refuse('not an event envelope (a JSON object)');
  }
  const fields = value as Record<string, unknown>;
  // Counted before anything is listed: a line that has its nine fields, the case of every line
  // of a good export, makes no array (this runs a million times on a big log).
  let known = 0;
  let count = 0;
  for (const key in fields) {
    count++;
    if (KNOWN.has(key)) known++;
  }
  if (known < KEYS.length) {
    const missing = KEYS.filter((key) => !Object.hasOwn(fields, key));
    throw refuse(`not an event envelope: no ${missing.join(', ')}`);
  }
  if (count > known) {
    const extra = Object.keys(fields).filter((key) => !KNOWN.has(key));
    throw refuse(`not an event envelope: unknown field ${extra.join(', ')}`);
  }
  const { position, id, stream, version, type, time, data, meta, hash } = fields;
  const whole = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 1;
  const text = (s: unknown) => typeof s === 'string' && s !== '';
  if (!whole(position)) throw refuse('position must be a whole number ≥ 1');
  const at = (reason: string) => new ImportRefused(line, position as number, reason);
  if (!text(id)) throw at('id must be a non-empty string');
  if (!text(stream)) throw at('stream must be a non-empty string');
  if (!whole(version)) throw at('version must be a whole number ≥ 1');
  if (!text(type)) throw at('type must be a non-empty string');
  if (typeof time !== 'string' || !TIME.test(time)) {
    throw at('time must be an ISO 8601 UTC time (as toISOString writes it)');
  }
  if (data === undefined) throw at('data is missing');
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw at('meta must be an object');
  }
  if (!whole((meta as EventMeta).schemaVersion)) {
    throw at('meta.schemaVersion must be a whole number ≥ 1');
  }
  // Its digits are looked at only if it differs from the hash the check computes.
  if (typeof hash !== 'string') throw at('hash must be 64 hex digits');
  return value as Envelope<AnyEvent>;
}
