import { createServer } from 'node:net';
import { WebSocket } from 'ws';
import type { Frame } from '../../src/protocol/frames.js';
import { SseParser } from '../../src/protocol/sse-parser.js';
import { fetchEventStream } from '../../web/src/sync/event-stream.js';
import type { OpenEventStream, OpenSocket } from '../../web/src/sync/ports.js';

/** The engine's event-stream port on a real server: fetch and a body reader, as in the page. */
export function realEventStreams() {
  const urls: string[] = [];
  const aborts = new Set<() => void>();
  const base = fetchEventStream((url, init) => fetch(url, init));
  const open: OpenEventStream = (url, headers, on) => {
    urls.push(url);
    const stream = base(url, headers, {
      open: () => on.open(),
      received: (items) => on.received(items),
      close: (status, reason) => {
        aborts.delete(cut);
        on.close(status, reason);
      },
    });
    // A cut as the network would make it: the reader fails, the engine hears status 0.
    const cut = () => {
      aborts.delete(cut);
      stream.close();
      on.close(0, 'cut');
    };
    aborts.add(cut);
    return {
      close() {
        aborts.delete(cut);
        stream.close();
      },
    };
  };
  return {
    open,
    urls,
    cutAll(): void {
      for (const cut of [...aborts]) cut();
    },
  };
}

/** WebSocket close codes the server sends after an `error` frame, as the HTTP statuses of SSE. */
const STATUS: Record<number, number> = { 4400: 400, 4401: 401, 4403: 403, 4429: 429 };

/**
 * A FAKE `GET /api/events/stream`, for when the server's is not there: it follows the
 * SPEC's contract to the letter (`retry:`, `hello` without an id, one message per event
 * with `id: <position>` and `event: <type>`, `live` and `position` with ids, comments as
 * heartbeats, `reset` then the end) and draws its content from the real server's `/ws`, so
 * positions, replay and concurrency are the server's own. The text goes through the real
 * parser, cut in two at an arbitrary point, as a network would deliver it.
 */
export function fakeEventStreams() {
  const urls: string[] = [];
  const sockets = new Set<WebSocket>();
  const open: OpenEventStream = (url, headers, on) => {
    urls.push(url);
    const asked = new URL(url);
    const ws = new URL('/ws', asked.origin.replace(/^http/, 'ws'));
    for (const name of ['after', 'logId', 'types', 'streams']) {
      const value = asked.searchParams.get(name);
      if (value !== null) ws.searchParams.set(name, value);
    }
    const token = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
    if (token !== undefined) ws.searchParams.set('token', token);
    const socket = new WebSocket(ws);
    sockets.add(socket);
    const parser = new SseParser();
    let started = false;
    let ended = false;
    const end = (status: number, reason: string) => {
      if (ended) return;
      ended = true;
      socket.terminate();
      on.close(status, reason);
    };
    const send = (text: string) => {
      const cut = Math.floor(text.length / 3);
      for (const part of [text.slice(0, cut), text.slice(cut)]) {
        const items = parser.feed(part);
        if (items.length > 0 && !ended) on.received(items);
      }
    };
    socket.on('message', (data) => {
      if (ended) return;
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'error') {
        end(STATUS[frame.code] ?? 500, frame.message);
        return;
      }
      if (!started) {
        started = true;
        on.open();
        send('retry: 2000\n\n');
      }
      switch (frame.type) {
        case 'hello':
          send(`event: hello\ndata: ${JSON.stringify(frame)}\n\n`);
          break;
        case 'events':
          send(
            frame.events
              .map((e) => `id: ${e.position}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)
              .join(''),
          );
          break;
        case 'live':
        case 'position':
          send(`id: ${frame.position}\nevent: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`);
          break;
        case 'heartbeat':
          send(': heartbeat\n\n');
          break;
        case 'reset':
          send(`event: reset\ndata: ${JSON.stringify(frame)}\n\n`);
          end(200, 'the event stream ended');
          break;
      }
    });
    socket.on('close', (code) => {
      sockets.delete(socket);
      // Before any answer: no HTTP response at all. After: a clean end, or a cut line.
      if (!started) end(0, 'no answer');
      else end(code === 1000 || code === 1001 ? 200 : 0, 'the event stream ended');
    });
    socket.on('error', () => {});
    return {
      close() {
        ended = true;
        socket.terminate();
      },
    };
  };
  return {
    open,
    urls,
    cutAll: () => {
      for (const socket of sockets) socket.terminate();
    },
  };
}

/** A port nothing listens on: connections to it are refused. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * WebSockets that a test can refuse, as a proxy that breaks upgrades would: while blocked,
 * each one goes to a port nothing listens on, and is refused for real (close 1006).
 */
export async function blockableSockets(inner: OpenSocket) {
  const refused = await deadPort();
  const state = { blocked: true, refusals: 0 };
  const openSocket: OpenSocket = (url, on) => {
    if (!state.blocked) return inner(url, on);
    state.refusals++;
    const target = new URL(url);
    target.port = String(refused);
    return inner(target.toString(), on);
  };
  return { openSocket, state };
}
