import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { headStream, type LiveOptions, readStream } from '../../src/http/streams/read-stream.js';
import { isJsonMode } from '../../src/http/streams/stream-body.js';
import { streamHeaders } from '../../src/http/streams/stream-headers.js';
import type { StreamMessage, StreamSource } from '../../src/http/streams/stream-source.js';
import { type TailFeed, tailSignal } from '../../src/http/streams/tail-signal.js';

/**
 * A scratch stream store for the conformance suite only: it creates, appends to and deletes
 * streams in memory (the suite writes its streams with PUT and POST), and hands every read to
 * the server's own read code. Never part of a served build: sessionlog's streams are read-only.
 */
export async function startScratchStreams(live: LiveOptions) {
  const streams = new Map<string, ScratchStream>();
  let created = 0;
  const app = new Hono();
  app.use(streamHeaders());
  app.on(['GET', 'HEAD'], '/v1/stream/*', async (c) => {
    const stream = streams.get(c.req.path);
    if (stream === undefined) return c.text('no such stream', 404);
    return c.req.method === 'HEAD' ? headStream(stream) : readStream(c.req.raw, stream, live);
  });
  app.put('/v1/stream/*', async (c) => {
    const contentType = c.req.header('content-type') ?? 'application/octet-stream';
    const existing = streams.get(c.req.path);
    if (existing !== undefined) {
      return existing.contentType.toLowerCase() === contentType.toLowerCase()
        ? c.body(null, 200)
        : c.text('exists with another configuration', 409);
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    const parsed = messagesOf(contentType, body, true);
    if (parsed === undefined) return c.text('invalid body', 400);
    const feed = tailSignal();
    const messages: StreamMessage[] = [];
    const stream: ScratchStream = {
      tag: `scratch-${++created}`,
      contentType,
      messages,
      feed,
      closed: false,
      tail: feed,
      head: async () => messages.length,
      read: async (after: number, upTo: number, limit?: number) =>
        messages.slice(after, limit === undefined ? upTo : Math.min(upTo, after + limit)),
      closedAt: async () => (stream.closed ? messages.length : undefined),
    };
    streams.set(c.req.path, stream);
    append(stream, parsed, closing(c.req.header('stream-closed')));
    return c.body(null, 201, {
      location: c.req.url,
      'stream-next-offset': offsetOf(stream),
      ...closedHeader(stream),
    });
  });
  app.post('/v1/stream/*', async (c) => {
    const stream = streams.get(c.req.path);
    if (stream === undefined) return c.text('no such stream', 404);
    const close = closing(c.req.header('stream-closed'));
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (stream.closed) {
      // §5.2: closing again is idempotent; anything to append is refused.
      const headers = { 'stream-next-offset': offsetOf(stream), ...closedHeader(stream) };
      return close && raw.length === 0 ? c.body(null, 204, headers) : c.body(null, 409, headers);
    }
    if (close && raw.length === 0) {
      append(stream, [], true);
      return c.body(null, 204, { 'stream-next-offset': offsetOf(stream), ...closedHeader(stream) });
    }
    const contentType = c.req.header('content-type');
    if (contentType === undefined) return c.text('Content-Type is required', 400);
    if (
      contentType.split(';')[0]?.trim().toLowerCase() !==
      stream.contentType.split(';')[0]?.trim().toLowerCase()
    ) {
      return c.text('content type mismatch', 409);
    }
    const parsed = messagesOf(stream.contentType, raw, false);
    if (parsed === undefined || parsed.length === 0) return c.text('empty or invalid body', 400);
    append(stream, parsed, close);
    return c.body(null, 204, { 'stream-next-offset': offsetOf(stream), ...closedHeader(stream) });
  });
  app.delete('/v1/stream/*', (c) =>
    streams.delete(c.req.path) ? c.body(null, 204) : c.text('no such stream', 404),
  );

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const stream of streams.values()) stream.feed.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type ScratchStream = StreamSource & { messages: StreamMessage[]; feed: TailFeed; closed: boolean };

/** Appends, and closes with the same step when asked (§5.2: atomic with the final append). */
function append(stream: ScratchStream, bodies: (string | Uint8Array)[], close = false) {
  for (const body of bodies) {
    stream.messages.push({ position: stream.messages.length + 1, body });
  }
  if (close) stream.closed = true;
  stream.feed.heard(stream.messages.length);
}

/** §4.1: the header counts only when it is `true`, in any case. */
function closing(header: string | undefined): boolean {
  return header?.toLowerCase() === 'true';
}

function closedHeader(stream: ScratchStream): Record<string, string> {
  return stream.closed ? { 'stream-closed': 'true' } : {};
}

function offsetOf(stream: { messages: StreamMessage[] }): string {
  return String(stream.messages.length).padStart(16, '0');
}

/** JSON mode flattens one level of an array (§9.1.2); other types keep the body as one message. */
function messagesOf(
  contentType: string,
  body: Uint8Array,
  creating: boolean,
): (string | Uint8Array)[] | undefined {
  if (!isJsonMode(contentType)) return body.length === 0 ? [] : [body];
  const text = Buffer.from(body).toString('utf8');
  if (text.trim() === '') return creating ? [] : undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return [JSON.stringify(value)];
  if (value.length === 0 && !creating) return undefined;
  return value.map((item) => JSON.stringify(item));
}
