import type { AnyEvent, Envelope } from '../events/envelope.js';

/**
 * A page read newest first with one event more than `limit`: the page, and `next` (the
 * `before` of the following page) only when that extra event shows there is one.
 */
export function newestFirstPage<E extends AnyEvent>(
  read: readonly Envelope<E>[],
  limit: number,
): { events: Envelope<E>[]; next?: number } {
  const events = read.slice(0, limit);
  const last = events.at(-1);
  return read.length > limit && last !== undefined ? { events, next: last.position } : { events };
}
