import { CloseCode } from '../../../src/protocol/close-codes.js';

/** Why a socket closed, in words for the indicator's tooltip. */
export function closeReason(code: number, reason: string): string {
  if (code === CloseCode.goingAway) return 'the server is restarting';
  if (code === CloseCode.tooSlow) return 'the connection fell behind';
  if (code === CloseCode.abnormal) return 'the connection was lost';
  return reason === '' ? `the connection closed (${code})` : reason;
}
