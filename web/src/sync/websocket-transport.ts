import { CLOSE_RESET, CLOSE_UNAUTHORIZED, closeReason, parseFrame } from './frames.js';
import type { OpenSocket } from './ports.js';
import type { OpenTransport } from './transport.js';

/** Close 1006: no close frame, the connection just died (a refused upgrade, a cut line). */
const ABNORMAL_CLOSURE = 1006;

/** `/ws?after=P&logId=L&token=T` (SPEC, "WebSocket gateway"), one JSON frame a message. */
export function webSocketTransport(
  openSocket: OpenSocket,
  baseUrl: string,
  token: string | undefined,
): OpenTransport {
  return ({ after, logId }, on) => {
    const url = new URL('/ws', baseUrl.replace(/^http/, 'ws'));
    url.searchParams.set('after', String(after));
    if (logId !== undefined) url.searchParams.set('logId', logId);
    // Browsers cannot set headers on a WebSocket: SPEC accepts the token in the URL here.
    if (token !== undefined) url.searchParams.set('token', token);
    let greeted = false;
    const socket = openSocket(url.toString(), {
      open() {},
      message(text) {
        on.heard();
        const frame = parseFrame(text);
        if (frame === undefined) return;
        if (frame.type === 'hello') greeted = true;
        on.frame(frame);
      },
      close(code, reason) {
        if (code === CLOSE_UNAUTHORIZED) {
          on.closed({ kind: 'unauthorized', reason: reason || 'the server refused the token' });
        } else if (code === CLOSE_RESET) {
          on.closed({ kind: 'reset', reason: reason || 'the server asked for a reset' });
        } else {
          on.closed({
            kind: 'lost',
            reason: closeReason(code, reason),
            failure: !greeted || code === ABNORMAL_CLOSURE,
          });
        }
      },
    });
    return { close: () => socket.close(1000, 'reconnecting') };
  };
}
