/**
 * A child process: a crowd of `/ws` clients, as dashboards would be, on an event loop of their
 * own (the server's and the bench's stay free). Each client parses every frame, as a real one
 * does, and for each SessionStarted notes the wall-clock time it arrived
 * (performance.timeOrigin + now(): the bench reads the same clock when it sends the POST).
 *
 *   node --import tsx bench/ws-clients-child.ts     (then driven by ClientsRequest messages)
 */
import { WebSocket } from 'ws';
import type { AnyEvent, Envelope } from '../src/events/envelope.js';
import type { ClientFrame } from '../src/testing/subscribe.js';
import { tell } from './child-stats.js';
import { type HistogramData, LatencyHistogram } from './latency-histogram.js';

export type ClientsRequest =
  /** Opens `count` clients on `url` (`ws://…/ws?…`), `batch` handshakes at a time. */
  | { type: 'open'; url: string; count: number; batch: number }
  /** Forgets what arrived so far and starts the busy-time measure; answers `progress`. */
  | { type: 'reset' }
  | { type: 'progress' }
  /** The POSTs' send times by session id: turn the arrivals into latencies. */
  | { type: 'latencies'; sent: [string, number][] }
  | { type: 'close' };

export type ClientsMessage =
  | { type: 'opened'; open: number; failed: number }
  | { type: 'progress'; deliveries: number }
  | {
      type: 'latencies';
      histogram: HistogramData;
      /** SessionStarted events received, and of them those of a timed POST. */
      deliveries: number;
      /** Events of any type received since `reset` (a server's deliveries to this crowd). */
      events: number;
      matched: number;
      /** Events at or below a position the client already had: duplicates or disorder. */
      disorder: number;
      /** Connections the server closed (a slow client gets 4408). */
      droppedByServer: number;
      /** Share of the time since `reset` this process was busy: near 1, it lagged. */
      busy: number;
    }
  | { type: 'closed' };

interface Client {
  socket: WebSocket;
  last: number;
}

const clients: Client[] = [];
let arrivals = new Map<string, number[]>();
let deliveries = 0;
let received = 0;
let disorder = 0;
let droppedByServer = 0;
let closing = false;
let mark = performance.eventLoopUtilization();

function onEvents(client: Client, events: readonly Envelope<AnyEvent>[]): void {
  const now = performance.timeOrigin + performance.now();
  received += events.length;
  for (const event of events) {
    if (event.position <= client.last) disorder++;
    client.last = event.position;
    if (event.type !== 'SessionStarted') continue;
    deliveries++;
    const times = arrivals.get(event.stream);
    if (times === undefined) arrivals.set(event.stream, [now]);
    else times.push(now);
  }
}

/** Resolves with the client once its `hello` came, or undefined if it never did. */
function openOne(url: string): Promise<Client | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const client: Client = { socket, last: 0 };
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ClientFrame;
      if (frame.type === 'events') onEvents(client, frame.events);
      else if (frame.type === 'hello') {
        client.last = frame.after;
        resolve(client);
      }
    });
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => {
      if (!closing) droppedByServer++;
      resolve(undefined);
    });
  });
}

function latencies(sent: readonly [string, number][]): ClientsMessage {
  const histogram = new LatencyHistogram();
  for (const [id, sentAt] of sent) {
    for (const arrived of arrivals.get(id) ?? []) histogram.record(arrived - sentAt);
  }
  const busy = performance.eventLoopUtilization(mark).utilization;
  const matched = histogram.total;
  return {
    type: 'latencies',
    histogram: histogram.data(),
    deliveries,
    events: received,
    matched,
    disorder,
    droppedByServer,
    busy,
  };
}

async function closeAll(): Promise<void> {
  closing = true;
  const closed = clients.map(
    ({ socket }) =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close(1000);
        // A close handshake that does not finish must not keep the bench waiting.
        setTimeout(() => socket.terminate(), 5000).unref();
      }),
  );
  await Promise.all(closed);
  clients.length = 0;
  closing = false;
}

process.on('message', async (message: ClientsRequest) => {
  switch (message.type) {
    case 'open': {
      let failed = 0;
      // In batches: thousands of handshakes at once would overflow the listen backlog.
      for (let opened = 0; opened < message.count; opened += message.batch) {
        const size = Math.min(message.batch, message.count - opened);
        const batch = await Promise.all(Array.from({ length: size }, () => openOne(message.url)));
        for (const client of batch) {
          if (client === undefined) failed++;
          else clients.push(client);
        }
      }
      tell({ type: 'opened', open: clients.length, failed } satisfies ClientsMessage);
      break;
    }
    case 'reset':
      arrivals = new Map();
      deliveries = received = disorder = droppedByServer = 0;
      mark = performance.eventLoopUtilization();
      tell({ type: 'progress', deliveries } satisfies ClientsMessage);
      break;
    case 'progress':
      tell({ type: 'progress', deliveries } satisfies ClientsMessage);
      break;
    case 'latencies':
      tell(latencies(message.sent));
      break;
    case 'close':
      await closeAll();
      tell({ type: 'closed' } satisfies ClientsMessage);
      break;
  }
});
process.once('disconnect', () => {
  void closeAll().finally(() => process.exit(0));
});
