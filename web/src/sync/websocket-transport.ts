import { CloseCode } from '../../../src/protocol/close-codes.js';
import { parseFrame } from '../../../src/protocol/frames.js';
import { subscriptionUrl } from '../../../src/protocol/subscription-url.js';
import { closeReason } from './close-reason.js';
import type { OpenSocket } from './ports.js';
import type { OpenTransport } from './transport.js';

/** `/ws?after=P&logId=L&token=T` (SPEC, "WebSocket gateway"), one JSON frame a message. */
export function webSocketTransport(
  openSocket: OpenSocket,
  baseUrl: string,
  token: string | undefined,
): OpenTransport {
  return ({ after, logId }, on) => {
    // Browsers cannot set headers on a WebSocket: SPEC accepts the token in the URL here.
    const url = subscriptionUrl(baseUrl, { after, logId, token }, 'websocket');
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
        if (code === CloseCode.unauthorized) {
          on.closed({ kind: 'unauthorized', reason: reason || 'the server refused the token' });
        } else if (code === CloseCode.reset) {
          on.closed({ kind: 'reset', reason: reason || 'the server asked for a reset' });
        } else {
          on.closed({
            kind: 'lost',
            reason: closeReason(code, reason),
            // 1006: no close frame, the connection just died (a refused upgrade, a cut line).
            failure: !greeted || code === CloseCode.abnormal,
          });
        }
      },
    });
    return { close: () => socket.close(CloseCode.normal, 'reconnecting') };
  };
}
