import { Duplex } from 'node:stream';
import type { ReadableWritablePair } from 'node:stream/web';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';

declare module 'hono' {
  interface ContextVariableMap {
    /** The answer was made whole with the headers this middleware gives it (`leftAlone`). */
    uncompressed: true;
  }
}

/**
 * What is worth compressing: JSON answers (the sessions table, pages of events, problems, the
 * OpenAPI document) and the dashboard's page, scripts and styles. Not `text/event-stream` nor
 * `application/x-ndjson`: an event stream must reach the client event by event, and a
 * compressor holds bytes back until it has enough to compress.
 */
const COMPRESSIBLE =
  /^(?:application\/(?:json|problem\+json)|text\/(?:html|css|javascript)|image\/svg\+xml)(?:;|$)/i;

/**
 * Where: the API and the dashboard's page and files. Not `/streams`, whose catch-up bytes
 * Durable Streams clients compare and whose live modes must flow, nor `/metrics`.
 */
const COMPRESSED_PATHS = /^\/(?:$|assets\/|api\/)/;

/** Below this a compressed answer is hardly smaller, and not worth the CPU. */
const THRESHOLD = 1024;

export type Encoding = 'br' | 'gzip';

/**
 * Brotli at quality 4: about gzip's speed and a smaller answer (quality 11, the default, is
 * for files compressed once, far too slow per request), with a 256 KiB window rather than the
 * default 4 MiB: each answer's compressor is that much smaller in the server's memory, for
 * JSON rows whose repeats lie close together; gzip at its default level 6.
 */
const COMPRESSORS: Record<Encoding, () => Duplex> = {
  br: () =>
    createBrotliCompress({
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 4,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_LGWIN]: 18,
      },
    }),
  gzip: () => createGzip(),
};

/**
 * Compresses an answer under COMPRESSED_PATHS with br or gzip when the request's
 * Accept-Encoding allows one and the answer is of a compressible type (above), its body
 * through the compressor as a stream,
 * with its back-pressure: the streamed sessions table stays streamed, one chunk at a time.
 * Leaves alone what is encoded already, partial or empty answers, HEAD, and answers marked
 * `no-transform`.
 */
export function compression(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.get('uncompressed') === true || !COMPRESSED_PATHS.test(c.req.path)) return;
    const { res } = c;
    const type = res.headers.get('content-type') ?? '';
    if (!COMPRESSIBLE.test(type)) return;
    // The answer depends on Accept-Encoding from here on, compressed or not: caches must know.
    res.headers.append('vary', 'Accept-Encoding');
    const length = res.headers.get('content-length');
    if (
      c.req.method === 'HEAD' ||
      res.status === 204 ||
      res.status === 206 ||
      res.headers.has('content-encoding') ||
      /(?:^|,)\s*no-transform\s*(?:,|$)/i.test(res.headers.get('cache-control') ?? '') ||
      (length !== null && Number(length) < THRESHOLD)
    ) {
      return;
    }
    const encoding = chooseEncoding(c.req.header('accept-encoding'));
    // `body` last: reading it turns @hono/node-server's light answer (written straight from
    // its string) into a full Response written through a stream, which costs a request to a
    // client that takes no compression about as much as its route.
    if (encoding === undefined || res.body === null) return;
    const body = await unlessSmall(res.body);
    if (body instanceof Uint8Array) {
      c.res = new Response(body, res);
      return;
    }
    const compressed = body.pipeThrough(
      Duplex.toWeb(COMPRESSORS[encoding]()) as ReadableWritablePair<Uint8Array, Uint8Array>,
    );
    c.res = new Response(compressed, res);
    c.res.headers.delete('content-length');
    c.res.headers.set('content-encoding', encoding);
    const etag = c.res.headers.get('etag');
    // Another encoding of the same content: no longer byte for byte what a strong ETag names.
    if (etag !== null && !etag.startsWith('W/')) c.res.headers.set('etag', `W/${etag}`);
  };
}

/**
 * For an answer of `bytes` that its route makes whole (json-answer.ts): when it is below the
 * threshold, and so never compressed, the headers this middleware would give it (Vary: the
 * answer depends on Accept-Encoding for caches all the same), and the middleware leaves it
 * alone, its headers untouched; undefined for a larger answer, which the middleware handles.
 */
export function leftAlone(c: Context, bytes: number): Record<string, string> | undefined {
  if (bytes >= THRESHOLD) return undefined;
  c.set('uncompressed', true);
  return COMPRESSED_PATHS.test(c.req.path) ? { Vary: 'Accept-Encoding' } : {};
}

/**
 * br if the client takes it, else gzip, else none: an encoding counts when it is listed (or
 * `*` is) with a q above 0. Preference between the two is ours, not the client's q: browsers
 * send them unweighted anyway.
 */
export function chooseEncoding(header: string | undefined): Encoding | undefined {
  if (header === undefined) return undefined;
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const weight = params.find((p) => p.startsWith('q='));
    const value = weight === undefined ? 1 : Number(weight.slice(2));
    if (name !== '') q.set(name, Number.isFinite(value) ? value : 0);
  }
  const accepts = (encoding: Encoding) => (q.get(encoding) ?? q.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return undefined;
}

/**
 * The body whole when it is one chunk of under THRESHOLD bytes (most answers are built in one
 * piece and carry no length yet), else the same stream, the chunks read ahead put back first.
 * Reads at most two chunks ahead: a streamed table is not held back.
 */
async function unlessSmall(
  body: ReadableStream<Uint8Array>,
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const reader = body.getReader();
  const ahead: Uint8Array[] = [];
  for (let i = 0; i < 2; i++) {
    const { done, value } = await reader.read();
    if (done) {
      const size = ahead.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      if (size < THRESHOLD) return Buffer.concat(ahead);
      break;
    }
    ahead.push(value);
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = ahead.shift();
        if (chunk !== undefined) return controller.enqueue(chunk);
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
