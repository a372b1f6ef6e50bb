import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { freePort, serveChild } from './support/server-child.js';
import { useLogFile } from './support/temp-dir.js';

const EVENTS = 100_000;
const logFile = useLogFile();

/** A log of one session with `EVENTS` events, written through the store, no server running. */
async function longLog(file: string): Promise<void> {
  const log = openSessionlog({ db: file, durability: 'normal' });
  try {
    await log.store.append('session-long', [
      { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
    ]);
    const change = {
      type: 'FileChanged' as const,
      data: { change: 'modified' as const, path: 'a.txt', kind: 'file' as const },
    };
    const writes: Promise<unknown>[] = [];
    for (let left = EVENTS - 1; left > 0; left -= 1000) {
      writes.push(
        log.store.append(
          'session-long',
          Array.from({ length: Math.min(1000, left) }, () => change),
        ),
      );
    }
    await Promise.all(writes);
  } finally {
    await log.close();
  }
}

/**
 * A client replaying a long history must not hold the server: its replay reads page after
 * page synchronously, and a client that keeps up never makes the socket push back, so without
 * a turn of the event loop between pages every other request waited for the end of the
 * replay (a dashboard back after a million events waited seconds for its snapshot, issue 15).
 * The server runs in a process of its own, as it does for its users: in the test's process
 * its stalls would stall the client too, and the socket would push back.
 */
it('answers other requests while a WebSocket client replays a long history', async () => {
  const file = logFile();
  await longLog(file);
  const server = await serveChild(file, await freePort());
  const socket = new WebSocket(new URL('/ws?after=0', server.url.replace(/^http/, 'ws')));
  const order: string[] = [];
  let asked = false;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type === 'events' && !asked) {
        // The replay has begun: a request now must not wait for its end.
        asked = true;
        fetch(new URL('/api/health', server.url)).then(
          (response) => order.push(`health ${response.status}`),
          reject,
        );
      }
      if (frame.type === 'live') {
        order.push('live');
        resolve();
      }
    });
  });
  socket.close();
  expect(order).toEqual(['health 200', 'live']);
}, 60_000);
