import type { AnyEvent, Envelope } from '../events/envelope.js';

/** Envelopes as NDJSON, one per line, each line ended: what the API and the CLI both write. */
export function ndjsonLines(events: readonly Envelope<AnyEvent>[]): string {
  return events.map((event) => `${JSON.stringify(event)}\n`).join('');
}
