import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseEncoding } from '../src/http/compression.js';
import type { RunningServer } from '../src/server.js';
import { checkAnswer } from './support/openapi-check.js';
import { appendMany, useServers } from './support/server.js';

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as they came over the socket, before any decoding. */
  bytes: Buffer;
}

/** A GET over a real socket that decodes nothing: what the server sent, byte for byte. */
function rawGet(server: RunningServer, path: string, headers: Record<string, string> = {}) {
  return new Promise<RawAnswer>((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port: server.port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes: Buffer.concat(chunks),
        }),
      );
    }).on('error', reject);
  });
}

/** The first bytes of an answer that does not end (an event stream), then the socket closed. */
function firstBytes(server: RunningServer, path: string, headers: Record<string, string>) {
  return new Promise<{ headers: IncomingHttpHeaders; bytes: Buffer }>((resolve, reject) => {
    const request = httpGet(
      { host: '127.0.0.1', port: server.port, path, headers, agent: false },
      (res) => {
        res.once('data', (chunk: Buffer) => {
          resolve({ headers: res.headers, bytes: chunk });
          request.destroy();
        });
      },
    );
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
  });
}

const decode: Record<string, (bytes: Buffer) => Buffer> = {
  gzip: gunzipSync,
  br: brotliDecompressSync,
};

/** A built dashboard of our own: a page and a script large enough to be worth compressing. */
const dashboardDir = mkdtempSync(join(tmpdir(), 'sessionlog-compression-'));
mkdirSync(join(dashboardDir, 'assets'));
const script = `console.log(${JSON.stringify('the dashboard '.repeat(2000))});\n`;
writeFileSync(
  join(dashboardDir, 'index.html'),
  `<!doctype html><title>x</title>${'<p>'.repeat(600)}`,
);
writeFileSync(join(dashboardDir, 'assets', 'index-abc123.js'), script);
afterAll(() => rmSync(dashboardDir, { recursive: true, force: true }));

describe('HTTP compression', () => {
  const startServer = useServers();

  async function serverWithSessions(): Promise<RunningServer> {
    const server = await startServer({ db: ':memory:', dashboardDir });
    for (let i = 0; i < 40; i++) await appendMany(server, 3, `session-${i}`);
    return server;
  }

  it.each(['gzip', 'br'])(
    'compresses the sessions table with %s when asked, identical once decompressed',
    async (encoding) => {
      const server = await serverWithSessions();
      const plain = await rawGet(server, '/api/sessions');
      expect(plain.headers['content-encoding']).toBeUndefined();
      const packed = await rawGet(server, '/api/sessions', { 'accept-encoding': encoding });
      expect(packed.status).toBe(200);
      expect(packed.headers['content-encoding']).toBe(encoding);
      expect(packed.headers.vary).toMatch(/accept-encoding/i);
      expect(packed.bytes.length).toBeLessThan(plain.bytes.length / 4);
      const unpacked = decode[encoding]?.(packed.bytes) as Buffer;
      expect(unpacked.equals(plain.bytes)).toBe(true);
      // What the client gets once decoded is what the OpenAPI document describes.
      await checkAnswer(
        'GET',
        '/api/sessions',
        new Response(unpacked, {
          status: packed.status,
          headers: { 'content-type': packed.headers['content-type'] ?? '' },
        }),
      );
    },
  );

  it('prefers br to gzip and sends neither to a client that takes neither', async () => {
    const server = await serverWithSessions();
    const browser = await rawGet(server, '/api/sessions', {
      'accept-encoding': 'gzip, deflate, br, zstd',
    });
    expect(browser.headers['content-encoding']).toBe('br');
    for (const refusing of ['identity', 'deflate', 'gzip;q=0, br;q=0', '*;q=0']) {
      const answer = await rawGet(server, '/api/sessions', { 'accept-encoding': refusing });
      expect(answer.headers['content-encoding'], refusing).toBeUndefined();
      expect(JSON.parse(answer.bytes.toString('utf8')).sessions).toHaveLength(40);
    }
    expect(chooseEncoding('gzip;q=0.5, *;q=0')).toBe('gzip');
    expect(chooseEncoding('*')).toBe('br');
    expect(chooseEncoding(undefined)).toBeUndefined();
  });

  it('compresses pages of events, problems and the dashboard files', async () => {
    const server = await serverWithSessions();
    const asked = { 'accept-encoding': 'gzip' };
    for (const path of [
      '/api/sessions/session-1/events?limit=3',
      '/api/openapi.json',
      '/',
      '/assets/index-abc123.js',
    ]) {
      const plain = await rawGet(server, path);
      const packed = await rawGet(server, path, asked);
      if (plain.bytes.length < 1024) continue;
      expect(packed.headers['content-encoding'], path).toBe('gzip');
      expect(gunzipSync(packed.bytes).equals(plain.bytes), path).toBe(true);
    }
    const script = await rawGet(server, '/assets/index-abc123.js', asked);
    expect(script.headers['content-encoding']).toBe('gzip');
    // Small answers are sent as they are: compressing them saves nothing.
    const health = await rawGet(server, '/api/health', asked);
    expect(health.headers['content-encoding']).toBeUndefined();
  });

  it('gives a session answer the headers of any answer: small as it is, large compressed', async () => {
    const server = await startServer({ db: ':memory:' });
    const created = await fetch(`${server.url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-7' },
      body: JSON.stringify({ cwd: dashboardDir, name: 'small' }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe('trace-7');
    expect(created.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(created.headers.get('content-type')).toBe('application/json');
    const { session } = (await created.json()) as { session: { id: string } };
    expect(created.headers.get('location')).toBe(`/api/sessions/${session.id}`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    const path = `/api/sessions/${session.id}`;
    const small = await rawGet(server, path, { 'accept-encoding': 'gzip', 'x-request-id': 'r-1' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers.vary).toMatch(/accept-encoding/i);
    expect(small.headers['x-request-id']).toBe('r-1');
    expect(small.headers.etag).toBe('W/"1"');

    await server.log.commands.update(session.id, { summary: 'a summary '.repeat(500) });
    const plain = await rawGet(server, path);
    const packed = await rawGet(server, path, { 'accept-encoding': 'gzip', 'x-request-id': 'r-2' });
    expect(packed.headers['content-encoding']).toBe('gzip');
    expect(packed.headers.vary).toMatch(/accept-encoding/i);
    expect(packed.headers['x-request-id']).toBe('r-2');
    expect(packed.headers.etag).toBe('W/"2"');
    expect(gunzipSync(packed.bytes).equals(plain.bytes)).toBe(true);
  });

  it('never compresses the event stream, the NDJSON export or /streams', async () => {
    const server = await serverWithSessions();
    const asked = { 'accept-encoding': 'gzip, br' };
    const sse = await firstBytes(server, '/api/events/stream?after=0', asked);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sse.headers['content-encoding']).toBeUndefined();
    expect(sse.bytes.toString('utf8')).toMatch(/^(?:[:a-z]|\n)/);

    const ndjson = await rawGet(server, '/api/events', {
      ...asked,
      accept: 'application/x-ndjson',
    });
    expect(ndjson.headers['content-encoding']).toBeUndefined();
    expect(ndjson.bytes.toString('utf8').split('\n').filter(Boolean)).toHaveLength(120);

    // Durable Streams: catch-up bytes are compared raw by its clients, live modes must flow.
    const streamed = await rawGet(
      server,
      `/streams/${server.log.store.logId}/events?offset=-1`,
      asked,
    );
    expect(streamed.status).toBe(200);
    expect(streamed.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(streamed.bytes.toString('utf8'))).toHaveLength(120);
  });
});
