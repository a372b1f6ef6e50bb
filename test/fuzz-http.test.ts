import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/observe/logger.js';
import { useApp } from './support/http-app.js';
import { useServers } from './support/server.js';
import { useLogFile } from './support/temp-dir.js';

/** Header values a client can send: no CR, LF or NUL (fetch refuses them), Latin-1 only. */
const headerText = (maxLength = 300) =>
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength,
  });

const junkText = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom('', ' ', '%', '%zz', '%00', '%ff', '..', '../..', '\u0000', '\ud800', '☃'),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => 'a'.repeat(n)),
);

/** A path segment, whatever the text (a lone surrogate cannot be percent-encoded). */
const segment = (text: string) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '\ufffd'));

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Bodies of every shape: random bytes, invalid UTF-8, huge, deep, wrong types, extra fields. */
function bodies(cwd: string): fc.Arbitrary<Uint8Array | undefined> {
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string(),
    fc.integer(),
    fc.constantFrom(null, true, [], {}, cwd, 'completed', 'in_progress', -1, 1e308),
  );
  const object = fc
    .record(
      {
        cwd: fc.oneof(value, fc.constant(cwd)),
        name: value,
        summary: value,
        status: value,
        reason: value,
        user: value,
        hostname: value,
      },
      { requiredKeys: [] },
    )
    .chain((fields) =>
      fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 3 }).map((extra) => ({
        ...fields,
        ...extra,
      })),
    );
  return fc.oneof(
    fc.constant(undefined),
    fc.uint8Array({ maxLength: 2000 }),
    fc.constantFrom(
      new Uint8Array([0xff]),
      new Uint8Array([0xc3, 0x28]),
      new Uint8Array([0xed, 0xa0, 0x80]), // a UTF-8-encoded surrogate
      Uint8Array.from([...utf8('{"name":"'), 0xfe, 0xff, ...utf8('"}')]),
      Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('{"name":"bom"}')]),
      utf8('['.repeat(10_000)),
      utf8(`${'['.repeat(10_000)}${']'.repeat(10_000)}`),
      utf8(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`),
      utf8(`{"name":${'['.repeat(20_000)}${']'.repeat(20_000)}}`),
      utf8(`"${'x'.repeat(70_000)}"`),
      utf8(JSON.stringify({ cwd, name: 'x'.repeat(60_000) })),
      utf8(JSON.stringify({ summary: 'é'.repeat(10_001) })),
      utf8('{"name":"a","name":"b"}'),
      utf8('{"__proto__":{"admin":true},"name":"p"}'),
      utf8('{"constructor":{"prototype":{"x":1}}}'),
      utf8('1e999999'),
      utf8(''),
      utf8(' '),
    ),
    object.map((o) => utf8(JSON.stringify(o))),
    fc.jsonValue().map((v) => utf8(JSON.stringify(v) ?? 'null')),
  );
}

const contentTypes = fc.oneof(
  fc.constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset="UTF-8"',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'application/json;;;',
    'application/problem+json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    '',
  ),
  headerText(80),
);

const optionalHeader = (values: fc.Arbitrary<string>) => fc.option(values, { nil: undefined });

const headersArb = fc.record({
  'content-type': contentTypes,
  'content-length': optionalHeader(
    fc.oneof(
      fc.constantFrom('0', '-1', '1', 'abc', '99999999999999999999', '1e9', '65537', ' 5 '),
      headerText(30),
    ),
  ),
  'if-match': optionalHeader(
    fc.oneof(
      fc.constantFrom('*', '1', '"1"', 'W/"1"', 'W/"x"', '0', '99999999999999999'),
      headerText(),
    ),
  ),
  'idempotency-key': optionalHeader(
    fc.oneof(fc.constantFrom('', ' ', 'k', 'a'.repeat(201)), headerText(400)),
  ),
  'x-request-id': optionalHeader(headerText(400)),
  accept: optionalHeader(fc.constantFrom('application/x-ndjson', '*/*', 'text/html')),
});

/** Query strings: known parameters with junk values, unknown ones, raw broken encodings. */
const queryArb = fc.oneof(
  fc
    .dictionary(
      fc.constantFrom('after', 'limit', 'types', 'streams', 'status', 'asOf', 'token', 'x', ''),
      fc.oneof(
        junkText,
        fc.constantFrom(
          '0',
          '1',
          '-1',
          '1.5',
          '1e3',
          '0x10',
          '10001',
          '9007199254740993',
          '99999999999999999999999',
          'SessionStarted,Nope',
          'pending',
          ',,,',
        ),
        fc.array(fc.string({ maxLength: 20 }), { maxLength: 300 }).map((a) => a.join(',')),
      ),
      { maxKeys: 4 },
    )
    .map((params) => `?${new URLSearchParams(params).toString()}`),
  fc.constantFrom(
    '?%',
    '?after=%',
    '?after=%zz',
    '?limit=%ff',
    '?&&&=&=',
    '?after=1&after=2',
    '?a[b]=1',
  ),
  fc.string({ maxLength: 50 }).map((s) => `?${s.replace(/#/g, '')}`),
);

describe('fuzzing the HTTP API', () => {
  const openApp = useApp();

  it('answers any write with a 2xx or a problem+json 4xx, and appends only when it answers 2xx', async () => {
    const { request, start, log, workDir } = openApp();
    const id = await start();
    const paths = fc.oneof(
      fc.constant('/api/sessions'),
      fc.constant(`/api/sessions/${id}`),
      junkText.map((s) => `/api/sessions/${segment(s)}`),
      fc.constantFrom('/api/sessions/%', '/api/sessions/%zz', '/api/sessions/a/b', '/api/events'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'PATCH', 'DELETE', 'PUT'),
        paths,
        bodies(workDir),
        headersArb,
        async (method, path, body, headers) => {
          const before = await log.store.head();
          const sent: Record<string, string> = {};
          for (const [name, value] of Object.entries(headers)) {
            if (value !== undefined) sent[name] = value;
          }
          const response = await request(path, {
            method,
            headers: sent,
            ...(body === undefined ? {} : { body }),
          });
          await expectAnswer(response);
          const after = await log.store.head();
          if (response.status >= 300) expect(after).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
    expect(log.projections.verify()).toEqual([]);
  }, 60_000);

  it('answers any query string and path id on the read routes with a 200 or a problem+json 4xx', async () => {
    const { request, start, log } = openApp();
    const id = await start();
    const before = await log.store.head();
    const paths = fc.oneof(
      fc.constantFrom('/api/sessions', '/api/events', `/api/sessions/${id}/events`),
      junkText.map((s) => `/api/sessions/${segment(s)}/events`),
      junkText.map((s) => `/api/sessions/${segment(s)}`),
      fc.constantFrom('/api/sessions/%/events', '/api/sessions/%zz', '/api/%', '/api/events/%ff'),
    );
    await fc.assert(
      fc.asyncProperty(paths, queryArb, headersArb, async (path, query, headers) => {
        const sent: Record<string, string> = {};
        if (headers.accept !== undefined) sent.accept = headers.accept;
        if (headers['x-request-id'] !== undefined) sent['x-request-id'] = headers['x-request-id'];
        const response = await request(`${path}${query}`, { headers: sent });
        await expectAnswer(response);
      }),
      { numRuns: 300 },
    );
    expect(await log.store.head()).toBe(before);
  }, 60_000);
});

/** A 2xx, or a 4xx as problem+json whose `status` is the answer's; never a 5xx. */
async function expectAnswer(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status, text.slice(0, 300)).toBeLessThan(500);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  if (response.status >= 400) {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(text)).toMatchObject({ status: response.status });
  }
}

describe('fuzzing the HTTP server at the socket', () => {
  const startServer = useServers();
  const logFile = useLogFile();

  /** Sends raw bytes and returns the status line's code (0: the connection closed unanswered). */
  function raw(port: number, bytes: string | Buffer): Promise<number> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.setTimeout(5000, () => socket.destroy());
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (received.includes('\r\n')) socket.destroy();
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0)));
      socket.write(bytes);
    });
  }

  it('answers absurd framing with a 4xx (or a closed connection), and stays up', async () => {
    // A body broken mid-way (a bad chunk) is the client's fault: no 500, no error logged.
    const errors: string[] = [];
    const logger = createLogger({
      level: 'error',
      destination: { write: (line) => void errors.push(line) },
    });
    const server = await startServer({ db: logFile(), logger });
    const head = await server.log.store.head();
    const post = (headers: string, body = '{"cwd":"/tmp"}') =>
      `POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;
    const attempts = [
      post('Content-Length: 99999999999999999999\r\n'),
      post('Content-Length: -1\r\n'),
      post('Content-Length: abc\r\n'),
      post('Content-Length: 5\r\nContent-Length: 6\r\n'),
      post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'),
      post('Transfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n'),
      post(`Content-Length: ${70 * 1024}\r\n`),
      post('Content-Length: 4\r\n', '\xff\xfe\x00\x01'),
      `GET /api/events?after=${'9'.repeat(5000)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`,
      `GET /api/sessions/%zz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`,
      `GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Request-Id: ${'\xff'.repeat(300)}\r\n\r\n`,
      'GARBAGE\r\n\r\n',
      Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919) % 256)),
    ];
    for (const attempt of attempts) {
      const status = await raw(server.port, attempt);
      const label = attempt.slice(0, 120).toString();
      // A write with broken framing is never taken; a read may be answered.
      if (status !== 0 && label.startsWith('POST'))
        expect(status, label).toBeGreaterThanOrEqual(400);
      expect(status, label).toBeLessThan(500);
    }
    expect(errors).toEqual([]);
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await server.log.store.head()).toBe(head);
  }, 60_000);
});
