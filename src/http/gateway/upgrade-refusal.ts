import type { Context } from 'hono';
import { problem } from '../problem.js';

/**
 * Why `/ws` refused a client before any subscription existed: a bounded set, fit for a
 * metric's label. The first four are HTTP answers (no WebSocket was made), the last four
 * close codes after the upgrade (SPEC: the error frame, then the close).
 */
export const UPGRADE_REFUSALS = [
  /** A plain GET of `/ws` (426). */
  'not-upgrade',
  /** The upgrade request is no valid WebSocket handshake (ws answers 400, or 405). */
  'handshake',
  /** The Host is not this server (403: DNS rebinding). */
  'host',
  /** The server is shutting down (503). */
  'shutting-down',
  /** 4401: the token is missing or wrong. */
  'unauthorized',
  /** 4403: the Origin is not allowed. */
  'origin',
  /** 4429: too many connections, in all or from this client. */
  'too-many-connections',
  /** 4400: the subscription's parameters are invalid. */
  'bad-parameters',
] as const;

export type UpgradeRefusalReason = (typeof UPGRADE_REFUSALS)[number];

export interface UpgradeRefusal {
  reason: UpgradeRefusalReason;
  /** The HTTP status answered, or the close code sent. */
  status: number;
  /** The request's id: the caller's `X-Request-Id` when sane, else a fresh one. */
  requestId: string;
}

/**
 * Told of every refusal (metrics, logs). Never given the URL nor the headers: the token may
 * be in either.
 */
export type UpgradeRefusalObserver = (refusal: UpgradeRefusal) => void;

/**
 * `GET /ws` without `Upgrade: websocket`: 426, saying what to send (RFC 9110 §15.5.22), and
 * told to the observer like every other refusal.
 */
export function notAnUpgrade(onRefused: UpgradeRefusalObserver | undefined) {
  return (c: Context) => {
    onRefused?.({ reason: 'not-upgrade', status: 426, requestId: c.get('requestId') });
    return problem(
      426,
      'upgrade-required',
      '/ws is a WebSocket: send Upgrade: websocket',
      {},
      { upgrade: 'websocket', connection: 'Upgrade' },
    );
  };
}
