import type { AnyEvent, Envelope } from './envelope.js';

// An envelope goes out to every subscriber as the same text: make it once per envelope.
const texts = new WeakMap<object, string>();

/** The JSON text of an envelope, computed at most once. */
export function envelopeJson(event: Envelope<AnyEvent>): string {
  let json = texts.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    texts.set(event, json);
  }
  return json;
}

/** Records an envelope's JSON text when it is known already (read back as stored). */
export function rememberEnvelopeJson(event: Envelope<AnyEvent>, json: string): void {
  texts.set(event, json);
}
