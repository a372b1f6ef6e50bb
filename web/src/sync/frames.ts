import type { Envelope } from '../../../src/events/envelope.js';
import type { ServerFrame } from '../../../src/protocol/protocol.js';

/** A frame of `/ws` as the client receives it (SPEC, "WebSocket gateway"). */
export type Frame = ServerFrame | { type: 'events'; events: Envelope[] };

/** Close codes the client treats apart from "reconnect and resume". */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_RESET = 4409;

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

/** Why a socket closed, in words for the indicator's tooltip. */
export function closeReason(code: number, reason: string): string {
  if (code === 1001) return 'the server is restarting';
  if (code === 4408) return 'the connection fell behind';
  if (code === 1006) return 'the connection was lost';
  return reason === '' ? `the connection closed (${code})` : reason;
}
