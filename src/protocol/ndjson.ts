import type { AnyEvent, Envelope } from '../events/envelope.js';

/**
 * Events read from the log per page when writing NDJSON (the API's `GET /api/events` and the
 * CLI's `events --db`): the most either holds in memory at once.
 */
export const NDJSON_PAGE = 1000;

/** Envelopes as NDJSON, one per line, each line ended: what the API and the CLI both write. */
export function ndjsonLines(events: readonly Envelope<AnyEvent>[]): string {
  return events.map((event) => `${JSON.stringify(event)}\n`).join('');
}
