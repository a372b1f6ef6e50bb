/** WebSocket close codes of SPEC, as the server sends them and clients act on them. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** Never sent: what a client sees when the connection dropped without a close frame. */
  abnormal: 1006,
  internalError: 1011,
  badParameters: 4400,
  unauthorized: 4401,
  forbiddenOrigin: 4403,
  tooSlow: 4408,
  reset: 4409,
  tooManyConnections: 4429,
} as const;

/**
 * Close codes after which resuming cannot help: the request itself is refused, and the same
 * URL would be refused again. Any other close is worth a resume from the last position.
 */
export const REFUSAL_CODES: ReadonlySet<number> = new Set([
  CloseCode.badParameters,
  CloseCode.unauthorized,
  CloseCode.forbiddenOrigin,
]);
