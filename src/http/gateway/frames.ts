import type { AnyEvent, Envelope } from '../../events/envelope.js';

// The same envelope goes to every live subscriber: serialize it once.
const serialized = new WeakMap<object, string>();

export function serializeEnvelope(event: Envelope<AnyEvent>): string {
  let json = serialized.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    serialized.set(event, json);
  }
  return json;
}

export interface BatchLimits {
  /** Events in one frame at most (SPEC: 1000). */
  events: number;
  /** Bytes in one frame at most (SPEC: 256 KiB); a single larger event goes alone. */
  bytes: number;
}

/** `events` frames for these envelopes, each within the batch limits. */
export function eventFrames(events: readonly Envelope<AnyEvent>[], limits: BatchLimits): string[] {
  const frames: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (batch.length > 0) frames.push(`{"type":"events","events":[${batch.join(',')}]}`);
    batch = [];
    bytes = 0;
  };
  for (const event of events) {
    const json = serializeEnvelope(event);
    const size = Buffer.byteLength(json) + 1;
    if (batch.length >= limits.events || (batch.length > 0 && bytes + size > limits.bytes)) flush();
    batch.push(json);
    bytes += size;
  }
  flush();
  return frames;
}
