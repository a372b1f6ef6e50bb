import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../src/observe/logger.js';
import { subscribe } from '../src/testing/subscribe.js';
import { runCli } from './support/cli.js';
import { useServers } from './support/server.js';
import { useLogFile } from './support/temp-dir.js';

const TOKEN = 'log-test-token-5f2c9a7e41';

/** Opens the event stream with `?token=`, reads its first bytes, and hangs up. */
function touchEventStream(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/events/stream?after=0&token=${TOKEN}`, (response) => {
      response.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the server log', () => {
  const logFile = useLogFile();
  const start = useServers();

  it('writes one JSON line per request and per notable event, and never the token', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: { write: (line) => void lines.push(line) },
      secrets: [TOKEN],
    });
    const server = await start({ db: logFile(), token: TOKEN, logger });
    const bearer = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/api/sessions`, {
      method: 'POST',
      headers: { ...bearer, 'x-request-id': 'req-create-1' },
      body: JSON.stringify({ cwd: '/tmp' }),
    });
    expect(created.status).toBe(201);
    const { position } = (await created.json()) as { position: number };
    // The token wherever a client may put it: header, ?token= on /ws and the event stream,
    // and a query where it means nothing (the log must not echo the URL).
    expect(
      (await fetch(`${server.url}/api/sessions?token=${TOKEN}`, { headers: bearer })).status,
    ).toBe(200);
    expect((await fetch(`${server.url}/api/sessions?token=${TOKEN}`)).status).toBe(401);
    const client = await subscribe(server.url, { after: 0, token: TOKEN });
    await client.waitFor(position);
    await client.close();
    await touchEventStream(server.url);
    const logId = server.log.store.logId;
    const stream = await fetch(`${server.url}/streams/${logId}/events?offset=-1`, {
      headers: bearer,
    });
    expect(stream.status).toBe(200);
    await stream.arrayBuffer();
    await server.close();

    const text = lines.join('');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toMatch(/authorization/i);
    expect(text).not.toContain('token=');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = entries.filter((entry) => entry.msg === 'request');
    expect(requests.find((entry) => entry.requestId === 'req-create-1')).toMatchObject({
      level: 30,
      method: 'POST',
      route: '/api/sessions',
      status: 201,
      position,
      ms: expect.any(Number),
    });
    expect(requests.map((entry) => `${entry.method} ${entry.route} ${entry.status}`)).toEqual(
      expect.arrayContaining([
        'GET /api/sessions 200',
        'GET /api/sessions 401',
        'GET /api/events/stream 200',
        'GET /streams/:logId/events 200',
      ]),
    );
    for (const entry of requests) expect(entry.requestId).toEqual(expect.any(String));
    const said = entries.map((entry) => entry.msg);
    expect(said).toEqual(
      expect.arrayContaining(['started', 'subscription opened', 'shutting down', 'stopped']),
    );
  });

  it('serve logs on stderr (pretty on request), keeps stdout for its URL line, and refuses an unknown level', async () => {
    const child = spawn(
      process.execPath,
      [
        'bin/sessionlog.js',
        'serve',
        '--db',
        logFile(),
        '--port',
        '0',
        '--max-watchers',
        '0',
        '--token',
        TOKEN,
        '--log-level',
        'info',
        '--log-format',
        'pretty',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    await lines.next();
    // SPEC: the URL to open, token and all, on a line of its own on stdout.
    const url = (await lines.next()).value as string;
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/\\?token=${TOKEN}$`));
    const health = await fetch(new URL('/api/health', url), {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}started /m);
    expect(stderr).toMatch(
      /INFO {2}request method=GET route=\/api\/health requestId=\S+ status=200/,
    );
    expect(stderr).toMatch(/INFO {2}stopped/);
    expect(stderr).not.toContain(TOKEN);

    const refused = await runCli('serve', '--db', logFile(), '--log-level', 'chatty');
    expect(refused.output).toContain('--log-level must be one of');
    expect(refused.code).toBe(2);
  });
});
