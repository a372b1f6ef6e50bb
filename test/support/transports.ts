import { type IncomingMessage, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { RunningServer } from '../../src/server.js';
import { type ClientFrame, type Collector, subscribe } from '../../src/testing/subscribe.js';
import { type SseSubscribeOptions, subscribeSse } from '../../src/testing/subscribe-sse.js';
import { type Backend, describeEachBackend } from './backends.js';

/** What the suites ask of a subscription, whichever transport carries it. */
export interface Subscription extends Omit<Collector, 'closed' | 'frames'> {
  readonly frames: readonly ClientFrame[];
  readonly closed: Promise<unknown>;
}

/** What both transports' clients can ask for (the event stream takes more: sse.test.ts). */
export type SubscribeOptions = Pick<
  SseSubscribeOptions,
  'after' | 'logId' | 'streams' | 'types' | 'token' | 'origin'
>;

/** A subscription from position 0 whose client has stopped reading. */
export interface UnreadClient {
  /** Reads again until the server's end: the positions received, and how it ended. */
  readAll(): Promise<{ received: number[]; end: unknown }>;
}

/** A way for a client to follow the log: the WebSocket or the event stream (SSE). */
export interface Transport {
  name: 'WebSocket' | 'event stream';
  subscribe(url: string, options?: SubscribeOptions): Promise<Subscription>;
  /** Reconnects after a cut as this transport's clients do, from position `from`. */
  resume(url: string, from: number): Promise<Subscription>;
  /** Where a client got to, as it would resume (the WebSocket's position, the last event id). */
  resumePoint(client: Subscription): string | undefined;
  /** How `closed` resolves when the server ends a subscription (`code`: the WebSocket's). */
  endedBy(code: number): unknown;
  /** The refusal of a subscription with this HTTP status (the WebSocket's code is 4000 + it). */
  refusal(status: number): RegExp;
  /** The HTTP status of a request for a subscription that names another Host. */
  statusForHost(url: string, host: string): Promise<number | undefined>;
  /** The buffers of this transport's subscriptions, as the server counts them. */
  stats(server: RunningServer): { connections: number; maxBuffered: number };
  /** Opens a subscription from 0 whose client reads nothing (its kernel buffers fill). */
  openUnread(url: string): Promise<UnreadClient>;
  /** Waits until the server has given up on a client that reads nothing (past slowClientMs). */
  givenUp(server: RunningServer, slowClientMs: number): Promise<void>;
  /** How an unread client's subscription ends once the server gave up on it. */
  slowEnd: unknown;
}

const webSocket: Transport = {
  name: 'WebSocket',
  subscribe: (url, options) => subscribe(url, options),
  resume: (url, from) => subscribe(url, { after: from }),
  resumePoint: (client) => String(client.position),
  endedBy: (code) => expect.objectContaining({ code }),
  refusal: (status) => new RegExp(String(4000 + status)),
  statusForHost: (url, host) =>
    new Promise((resolve) => {
      const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers: { host } });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.on('open', () => resolve(undefined));
      socket.on('error', () => {});
    }),
  stats: (server) => server.gateway.stats(),
  async openUnread(url) {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws?after=0`);
    await new Promise((resolve) => socket.once('open', resolve));
    const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    // Stop reading: the kernel buffers fill, then the server's.
    tcp.pause();
    return {
      async readAll() {
        const received: number[] = [];
        const closed = new Promise<number>((resolve) =>
          socket.on('close', (code) => resolve(code)),
        );
        socket.on('message', (data) => {
          const frame = JSON.parse(data.toString());
          if (frame.type === 'events')
            received.push(...frame.events.map((e: { position: number }) => e.position));
        });
        tcp.resume();
        return { end: await closed, received };
      },
    };
  },
  givenUp: (_server, slowClientMs) => sleep(slowClientMs + 1000),
  slowEnd: 4408,
};

/** Event ids (not `live` or `position` ones) in SSE text, complete blocks only. */
function eventIds(text: string): number[] {
  return [...text.matchAll(/^id: (\d+)\nevent: (\w+)\ndata: [^\n]*\n\n/gm)]
    .filter((match) => match[2] !== 'live' && match[2] !== 'position')
    .map((match) => Number(match[1]));
}

function getStream(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/events/stream?after=0`, { headers }, resolve);
    req.on('error', reject);
    req.end();
  });
}

const eventStream: Transport = {
  name: 'event stream',
  subscribe: (url, options) => subscribeSse(url, options),
  // As an EventSource does: the same URL (`after=0`), with `Last-Event-ID` = the last id.
  resume: (url, from) =>
    subscribeSse(url, { after: 0, ...(from > 0 ? { lastEventId: String(from) } : {}) }),
  resumePoint: (client) => (client as { lastEventId?: string }).lastEventId,
  endedBy: () => ({ by: 'server' }),
  refusal: (status) => new RegExp(String(status)),
  async statusForHost(url, host) {
    const response = await getStream(url, { host });
    response.resume();
    return response.statusCode;
  },
  stats: (server) => server.hub.stats(),
  async openUnread(url) {
    const response = await getStream(url);
    // Stop reading: the kernel buffers fill, then the server's.
    response.socket.pause();
    response.pause();
    return {
      async readAll() {
        let text = '';
        const ended = new Promise<void>((resolve) => {
          response.on('close', resolve);
          response.on('error', () => {});
        });
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.socket.resume();
        response.resume();
        await ended;
        return { end: 'ended', received: eventIds(text) };
      },
    };
  },
  // The server ends the stream; the client reconnects, as after the WebSocket's 4408.
  givenUp: (server) =>
    vi.waitFor(() => expect(server.hub.stats().connections).toBe(0), { timeout: 20_000 }),
  slowEnd: 'ended',
};

export const transports: readonly Transport[] = [webSocket, eventStream];

/**
 * `describe(title, …)` once per transport and backend, e.g. "resuming by position over the
 * event stream on PostgreSQL": one suite for what both transports promise alike.
 */
export function describeEachTransport(
  title: string,
  body: (transport: Transport, log: () => string, backend: Backend) => void,
): void {
  for (const transport of transports)
    describeEachBackend(`${title} over the ${transport.name}`, (log, backend) =>
      body(transport, log, backend),
    );
}
