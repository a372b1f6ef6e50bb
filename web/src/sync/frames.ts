import { CloseCode } from '../../../src/protocol/close-codes.js';

export type { Frame } from '../../../src/protocol/frames.js';
export { parseFrame } from '../../../src/protocol/frames.js';

/** Why a socket closed, in words for the indicator's tooltip. */
export function closeReason(code: number, reason: string): string {
  if (code === CloseCode.goingAway) return 'the server is restarting';
  if (code === CloseCode.tooSlow) return 'the connection fell behind';
  if (code === CloseCode.abnormal) return 'the connection was lost';
  return reason === '' ? `the connection closed (${code})` : reason;
}

/** sync-engine.ts's name for `CloseCode.unauthorized`, until it imports src/protocol itself. */
export const CLOSE_UNAUTHORIZED = CloseCode.unauthorized;
