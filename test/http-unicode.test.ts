import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useApp } from './support/http-app.js';
import { useServers } from './support/server.js';
import { useLogFile } from './support/temp-dir.js';

// JSON.stringify writes a lone surrogate as the escape `\ud800`: valid JSON, valid UTF-8,
// and what any client can send.
const LONE = 'a\ud800b';

describe('strings that are not well-formed Unicode (400 naming the field)', () => {
  const openApp = useApp();

  it('refuses a lone surrogate in each string of a POST, PATCH or DELETE body, and appends nothing', async () => {
    const { send, start, refused, workDir } = openApp();
    const id = await start();
    const requests: Array<[string, string, Record<string, unknown>, string]> = [
      ['POST', '/api/sessions', { cwd: workDir, name: LONE }, 'name'],
      ['POST', '/api/sessions', { cwd: `${workDir}/\udc00` }, 'cwd'],
      ['POST', '/api/sessions', { cwd: workDir, hostname: LONE }, 'hostname'],
      ['POST', '/api/sessions', { cwd: workDir, user: '\ud83d' }, 'user'],
      ['PATCH', `/api/sessions/${id}`, { name: LONE }, 'name'],
      ['PATCH', `/api/sessions/${id}`, { summary: LONE }, 'summary'],
      ['PATCH', `/api/sessions/${id}`, { status: 'completed', summary: LONE }, 'summary'],
      ['DELETE', `/api/sessions/${id}`, { reason: LONE }, 'reason'],
    ];
    for (const [method, path, body, field] of requests) {
      const problem = await refused(400, () => send(method, path, body));
      expect(problem.errors, `${method} ${JSON.stringify(body)}`).toEqual([
        { path: field, message: 'must be well-formed Unicode (no lone surrogate)' },
      ]);
    }
  });

  it('keeps characters beyond U+FFFF (surrogate pairs) as they were sent', async () => {
    const { send, start, log } = openApp();
    const id = await start({ name: 'rocket 🚀' });
    const response = await send('PATCH', `/api/sessions/${id}`, { summary: '𝄞 done' });
    expect(response.status).toBe(200);
    expect(log.sessions.get(id)).toMatchObject({ name: 'rocket 🚀', summary: '𝄞 done' });
    expect(log.projections.verify()).toEqual([]);
  });
});

describe('an Idempotency-Key header as a client sends its bytes', () => {
  const logFile = useLogFile();
  const startServer = useServers();

  /** Sends a raw request and returns the status and body of the answer. */
  function raw(port: number, request: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      });
      socket.end(request);
    });
  }

  it('refuses one that is not printable ASCII (latin1 to Node: never what was meant), and appends nothing', async () => {
    const server = await startServer({ db: logFile() });
    const post = (key: Buffer) => {
      const body = JSON.stringify({ cwd: '/tmp' });
      return raw(
        server.port,
        Buffer.concat([
          Buffer.from(
            `POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n` +
              `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nIdempotency-Key: `,
          ),
          key,
          Buffer.from(`\r\n\r\n${body}`),
        ]),
      );
    };
    // Not UTF-8 at all; and UTF-8 for "clé", which Node would have read as "clÃ©".
    for (const key of [Buffer.from([0x6b, 0xff, 0xfe]), Buffer.from('clé', 'utf8')]) {
      const { status, body } = await post(key);
      expect(status).toBe(400);
      expect(JSON.parse(body).errors).toEqual([
        { path: 'Idempotency-Key', message: 'must be printable ASCII' },
      ]);
    }
    expect(await server.log.store.head()).toBe(0);
    expect((await post(Buffer.from('key-1'))).status).toBe(201);
  });
});
