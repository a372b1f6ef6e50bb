import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { runCli } from './support/cli.js';
import { startCli } from './support/follow-cli.js';
import { appendMany, useServers } from './support/server.js';
import { useLogFile } from './support/temp-dir.js';

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const positions = (events: readonly { position: number }[]) => events.map((e) => e.position);

/** Three sessions, one ended, and 2,500 file changes: more than one NDJSON page. */
async function history(server: RunningServer): Promise<string[]> {
  const { commands } = server.log;
  const start = async (name: string) =>
    (await commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux', name })).session.id;
  const ids = [await start('a'), await start('b'), await start('c')];
  await appendMany(server, 2500);
  await commands.end(ids[1] as string, { status: 'failed', reason: 'crashed' });
  return ids;
}

async function ndjson(server: RunningServer, query: string, token?: string): Promise<string> {
  const response = await fetch(`${server.url}/api/events?${query}`, {
    headers: {
      accept: 'application/x-ndjson',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
  });
  expect(response.status).toBe(200);
  return response.text();
}

describe('sessionlog events', () => {
  const logFile = useLogFile();
  const start = useServers();

  it('prints, from the file and from the running server, the same bytes as GET /api/events', async () => {
    const server = await start({ db: logFile(), durability: 'normal' });
    const [a, b] = await history(server);
    const cases: [query: string, flags: string[]][] = [
      ['', []],
      ['after=5', ['--after', '5']],
      ['types=SessionStarted,SessionEnded', ['--types', 'SessionStarted,SessionEnded']],
      [`streams=${a},${b}`, ['--streams', `${a},${b}`]],
      [
        'after=1200&types=FileChanged&streams=session-load',
        ['--after', '1200', '--types', 'FileChanged', '--streams', 'session-load'],
      ],
    ];
    for (const [query, flags] of cases) {
      const http = await ndjson(server, query);
      expect(http.length, query).toBeGreaterThan(0);
      const fromFile = await runCli('events', '--db', logFile(), ...flags);
      const fromServer = await runCli('events', '--url', server.url, ...flags);
      expect(fromFile, query).toMatchObject({ code: 0, output: '' });
      expect(fromFile.data === http, `--db ${flags.join(' ')}`).toBe(true);
      expect(fromServer.data === http, `--url ${flags.join(' ')}`).toBe(true);
    }
    expect((await ndjson(server, '')).split('\n')).toHaveLength(2504 + 1);
  });

  it('prints nothing for an empty log, and refuses what GET /api/events refuses', async () => {
    const server = await start({ db: logFile() });
    expect(await runCli('events', '--db', logFile())).toEqual({ code: 0, output: '', data: '' });
    const refusals: [string[], RegExp][] = [
      [['--types', 'SessionStarted,Bogus'], /--types: unknown: Bogus \(known: SessionStarted,/],
      [['--after=-1'], /--after must be a position/],
      [['--after', 'ten'], /--after must be a position/],
      [['--url', server.url], /--db and --url exclude each other/],
      [['--token', 'x'], /--token goes with --url/],
    ];
    for (const [flags, message] of refusals) {
      const { code, output } = await runCli('events', '--db', logFile(), ...flags);
      expect(output).toMatch(message);
      expect(code).toBe(2);
    }
  });

  it('names a missing log and creates none', async () => {
    const { code, output } = await runCli('events', '--db', logFile());
    expect(output).toBe(`sessionlog events: no log at ${logFile()}`);
    expect(code).toBe(2);
    expect(existsSync(logFile())).toBe(false);
  });

  it('takes the token from the URL serve prints, or from --token, and says when it is refused', async () => {
    const server = await start({ db: logFile(), token: 's3cret' });
    await history(server);
    const http = await ndjson(server, 'after=2500', 's3cret');
    const fromUrl = await runCli('events', '--url', server.dashboardUrl, '--after', '2500');
    const fromFlag = await runCli(
      'events',
      '--url',
      server.url,
      '--token',
      's3cret',
      '--after',
      '2500',
    );
    expect(fromUrl.data === http && fromFlag.data === http).toBe(true);
    const refused = await runCli('events', '--url', server.url);
    expect(refused.output).toMatch(/\/api\/events answered 401: .*token/);
    expect(refused.code).toBe(2);
  });

  it('--follow on a file prints every later commit once, until interrupted', async () => {
    const server = await start({ db: logFile(), durability: 'normal' });
    await appendMany(server, 3);
    const cli = startCli('events', '--db', logFile(), '--follow');
    await cli.waitForPosition(3);
    await appendMany(server, 1500);
    await server.log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
    const head = await server.log.store.head();
    await cli.waitForPosition(head);
    const { code, data } = await cli.stop();
    expect(code).toBe(0);
    expect(positions(cli.events())).toEqual(range(1, head));
    expect(data === (await ndjson(server, ''))).toBe(true);
  });

  it('--follow over the WebSocket resumes after a server restart, each event exactly once', async () => {
    let server = await start({ db: logFile(), durability: 'normal' });
    await appendMany(server, 500);
    const cli = startCli('events', '--url', server.url, '--follow', '--after', '100');
    await cli.waitForPosition(500);
    const port = server.port;
    await server.close();
    server = await start({ db: logFile(), durability: 'normal', port });
    await appendMany(server, 700);
    await cli.waitForPosition(1200, 15_000);
    const { code, output, data } = await cli.stop();
    expect(code).toBe(0);
    expect(output).toMatch(/disconnected \(1001\); resuming after position 500/);
    expect(positions(cli.events())).toEqual(range(101, 1200));
    expect(data === (await ndjson(server, 'after=100'))).toBe(true);
  });

  it('--follow over the WebSocket applies the filters', async () => {
    const server = await start({ db: logFile() });
    const [a] = await history(server);
    const cli = startCli('events', '--url', server.url, '--follow', '--streams', a as string);
    await cli.waitForPosition(1);
    await server.log.commands.update(a as string, { name: 'renamed' });
    const head = await server.log.store.head();
    await cli.waitForPosition(head);
    await cli.stop();
    expect(cli.events().map((e) => e.type)).toEqual(['SessionStarted', 'SessionUpdated']);
  });

  it('refuses to follow a server that cannot be reached', async () => {
    const { code, output } = await runCli('events', '--url', 'http://127.0.0.1:1', '--follow');
    expect(output).toMatch(/cannot subscribe at http:\/\/127\.0\.0\.1:1/);
    expect(code).toBe(2);
  });
});

describe('sessionlog events, as a process', () => {
  const logFile = useLogFile();
  const start = useServers();

  it('ends quietly, with status 0, when its reader goes away (| head)', async () => {
    const server = await start({ db: logFile(), durability: 'normal' });
    await appendMany(server, 5000); // ~1.5 MB of NDJSON: far more than a pipe holds
    const { stdout, stderr } = await promisify(execFile)('bash', [
      '-c',
      `node bin/sessionlog.js events --db '${logFile()}' | head -n 2 >/dev/null; echo "status \${PIPESTATUS[0]}"`,
    ]);
    expect(stderr).toBe('');
    expect(stdout).toBe('status 0\n');
  });

  it('stops cleanly on SIGTERM while following, its last line complete', async () => {
    const server = await start({ db: logFile(), durability: 'normal' });
    await appendMany(server, 10);
    const child = spawn(
      process.execPath,
      ['bin/sessionlog.js', 'events', '--db', logFile(), '--follow'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    for (let i = 1; i <= 10; i++) {
      expect(JSON.parse((await lines.next()).value as string)).toMatchObject({ position: i });
    }
    await appendMany(server, 1);
    expect(JSON.parse((await lines.next()).value as string)).toMatchObject({ position: 11 });
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
