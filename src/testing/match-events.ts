import type { Envelope } from '../events/envelope.js';

/**
 * An event as a test describes it: any of the envelope's fields, matched as a deep subset
 * (`{ type: 'SessionEnded', data: { status: 'failed' } }` matches whatever else the event
 * holds). Values may be asymmetric matchers (`expect.any(String)`).
 */
export interface PartialEvent {
  position?: unknown;
  id?: unknown;
  stream?: unknown;
  version?: unknown;
  type?: unknown;
  time?: unknown;
  data?: unknown;
  meta?: unknown;
  hash?: unknown;
}

/** Deep-subset equality of one event and one partial (vitest's `toMatchObject` rule). */
export type SubsetEquals = (event: unknown, partial: PartialEvent) => boolean;

/** The events of an array, or of a collector (anything with an `events` array). */
export function eventsOf(received: unknown): readonly Envelope[] | undefined {
  if (Array.isArray(received)) return received as Envelope[];
  const events = (received as { events?: unknown } | null | undefined)?.events;
  return Array.isArray(events) ? (events as Envelope[]) : undefined;
}

/**
 * Finds `expected` in `events` in order, others allowed in between: the index of the event
 * each partial matched, as far as they go (greedy is optimal for a subsequence: taking the
 * earliest match never leaves fewer events for the partials after it).
 */
export function findInOrder(
  events: readonly Envelope[],
  expected: readonly PartialEvent[],
  equals: SubsetEquals,
): number[] {
  const found: number[] = [];
  for (let i = 0; i < events.length && found.length < expected.length; i++) {
    if (equals(events[i], expected[found.length] as PartialEvent)) found.push(i);
  }
  return found;
}

/**
 * The event cut down to the fields the partial names, at every depth: what a diff against the
 * partial should show (not the ids, hashes and times a test did not ask about).
 */
export function shapedLike(actual: unknown, partial: unknown): unknown {
  if (!isPlainObject(partial) || !isPlainObject(actual)) return actual;
  return Object.fromEntries(
    Object.keys(partial).map((key) => [key, shapedLike(actual[key], partial[key])]),
  );
}

/** One line per event, `#position type stream`, at most `max` of them: the stream at a glance. */
export function outline(events: readonly Envelope[], max = 30): string {
  const lines = events
    .slice(0, max)
    .map((e) => `  #${e.position} ${e.type} ${e.stream}${brief(e.data)}`);
  if (events.length > max) lines.push(`  … and ${events.length - max} more`);
  return lines.length === 0 ? '  (no events)' : lines.join('\n');
}

function brief(data: unknown): string {
  const text = JSON.stringify(data) ?? '';
  if (text === '{}' || text === '') return '';
  return ` ${text.length > 80 ? `${text.slice(0, 77)}…` : text}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  // Asymmetric matchers are objects too; they stay whole.
  if ('asymmetricMatch' in value) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
