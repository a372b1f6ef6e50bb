import { WebSocket } from 'ws';

/** What became of one WebSocket: subscribed (open), refused (error frame, close), or cut. */
export type Attempt =
  | { kind: 'open'; socket: WebSocket }
  | { kind: 'refused'; frame: unknown; code: number }
  | { kind: 'failed'; error: string };

/**
 * Opens `/ws` on `port` (from `localAddress` when given) and settles once the server said
 * hello, refused the subscription (its error frame, then the close code), or the connection
 * failed (a reset, an HTTP refusal).
 */
export function attempt(port: number, localAddress?: string): Promise<Attempt> {
  const socket = new WebSocket(
    `ws://127.0.0.1:${port}/ws`,
    localAddress === undefined ? {} : { localAddress },
  );
  return new Promise((resolve) => {
    let frame: unknown;
    socket.on('message', (data) => {
      const parsed = JSON.parse(String(data)) as { type: string };
      if (parsed.type === 'hello') resolve({ kind: 'open', socket });
      else frame ??= parsed;
    });
    socket.on('close', (code) =>
      resolve(
        frame === undefined
          ? { kind: 'failed', error: `closed ${code}` }
          : { kind: 'refused', frame, code },
      ),
    );
    socket.on('error', (error) => resolve({ kind: 'failed', error: String(error) }));
  });
}

/** Closes the open ones and waits until they are closed. */
export async function closeAll(attempts: readonly Attempt[]): Promise<void> {
  await Promise.all(
    attempts.map(async (a) => {
      if (a.kind !== 'open' || a.socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => a.socket.once('close', resolve));
      a.socket.close();
      await closed;
    }),
  );
}
