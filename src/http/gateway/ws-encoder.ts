import type { AnyEvent, Envelope } from '../../events/envelope.js';
import { envelopeJson } from '../../events/envelope-json.js';
import type { BatchLimits, WireEncoder } from './wire-encoder.js';
import { textFrame } from './ws-wire-frame.js';

// A commit fans out to every unfiltered subscriber as the same frames: encode them once.
const framesOf = new WeakMap<readonly Envelope<AnyEvent>[], Buffer[]>();
// And frame them once: a commit frame's WebSocket bytes, made on its first send.
const wireOf = new WeakMap<Buffer, Buffer | undefined>();

/** `events` frames for a commit's envelopes; the same array gives the same frames. */
export function commitFrames(events: readonly Envelope<AnyEvent>[], limits: BatchLimits): Buffer[] {
  let frames = framesOf.get(events);
  if (frames === undefined) {
    frames = eventFrames(events.map(envelopeJson), limits);
    for (const frame of frames) wireOf.set(frame, undefined);
    framesOf.set(events, frames);
  }
  return frames;
}

/**
 * The WebSocket frame (header and payload) of a commit's frame, the same Buffer for every
 * subscriber; undefined for any other message (a replay page is sent to one client only: no
 * copy into a frame of its own pays for that).
 */
export function sharedWireFrame(frame: string | Buffer): Buffer | undefined {
  if (typeof frame === 'string' || !wireOf.has(frame)) return undefined;
  let wire = wireOf.get(frame);
  if (wire === undefined) {
    wire = textFrame(frame);
    wireOf.set(frame, wire);
  }
  return wire;
}

/** `events` frames for envelopes given as JSON text, encoded, each within the batch limits. */
export function eventFrames(texts: readonly string[], limits: BatchLimits): Buffer[] {
  const frames: Buffer[] = [];
  let batch: string[] = [];
  // Characters, not bytes, while batching (a UTF-8 byte count per event is costly); a frame
  // whose encoding comes out too large is split below.
  let chars = 0;
  const flush = () => {
    if (batch.length > 0) encode(batch, limits, frames);
    batch = [];
    chars = 0;
  };
  for (const json of texts) {
    if (
      batch.length >= limits.events ||
      (batch.length > 0 && chars + json.length + 1 > limits.bytes)
    )
      flush();
    batch.push(json);
    chars += json.length + 1;
  }
  flush();
  return frames;
}

function encode(batch: string[], limits: BatchLimits, into: Buffer[]): void {
  const frame = Buffer.from(`{"type":"events","events":[${batch.join(',')}]}`);
  if (frame.length <= limits.bytes || batch.length === 1) {
    into.push(frame);
    return;
  }
  const half = Math.ceil(batch.length / 2);
  encode(batch.slice(0, half), limits, into);
  encode(batch.slice(half), limits, into);
}

/** The WebSocket wire: JSON text frames, events batched within the limits (SPEC). */
export const wsEncoder: WireEncoder = {
  transport: 'ws',
  control: (frame) => JSON.stringify(frame),
  replay: (texts, limits) =>
    eventFrames(
      texts.map((text) => text.json),
      limits,
    ),
  commit: commitFrames,
};
