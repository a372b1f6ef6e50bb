import type { Envelope } from '../events/envelope.js';

/** Server → client messages other than events, on `/ws` and the event stream (SPEC). */
export type ServerFrame =
  | { type: 'hello'; logId: string; head: number; after: number }
  | { type: 'live'; position: number }
  | { type: 'position'; position: number }
  | { type: 'heartbeat'; head: number }
  | { type: 'reset'; logId: string; head: number; reason: string }
  | { type: 'error'; code: number; message: string };

/**
 * A frame of `/ws` as a client receives it. The server assembles `events` frames from
 * pre-serialized envelopes (http/gateway/ws-encoder.ts), so it has no use for this type.
 */
export type Frame = ServerFrame | { type: 'events'; events: Envelope[] };

/** Parses a text frame; undefined for anything that is not a frame object. */
export function parseFrame(text: string): Frame | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && 'type' in value) return value as Frame;
  } catch {
    // A frame that is not JSON is a broken server or proxy: ignore it rather than crash.
  }
  return undefined;
}
