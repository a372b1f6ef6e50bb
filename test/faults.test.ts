import { realpathSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.js';
import type { SqliteDatabase } from '../src/stores/sqlite/database.js';
import { openSessionlog, type SqliteSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { runCli } from './support/cli.js';
import { useLogFile, useTempDir } from './support/temp-dir.js';

/**
 * Faults of the disk and the database file, injected on the server's own connection (a
 * pragma such as max_page_count or query_only is per connection: a second one would not do).
 */
function useFaultyApp() {
  const logFile = useLogFile();
  const work = useTempDir();
  const opened: SqliteSessionlog[] = [];
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close();
  });
  return (clock?: () => Date) => {
    let connection: SqliteDatabase | undefined;
    const log = openSessionlog({
      db: logFile(),
      durability: 'normal',
      ...(clock ? { clock } : {}),
      onOpen: (db) => {
        connection = db;
      },
    });
    opened.push(log);
    const db = connection as SqliteDatabase;
    const app = createApp({
      log,
      policy: { allowedOrigins: [], boundHost: '127.0.0.1' },
      roots: [],
      createRate: 0,
    });
    const workDir = realpathSync(work());
    const send = async (method: string, path: string, body?: unknown, headers = {}) =>
      app.request(path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    return { app, log, db, workDir, send, file: logFile() };
  };
}

/** The log is whole: the chain verifies, the projection equals a fresh fold. */
async function expectConsistent(log: SqliteSessionlog, file: string): Promise<void> {
  expect(log.projections.verify()).toEqual([]);
  const events = await log.store.read();
  expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
  const verify = await runCli('verify', '--db', file);
  expect(verify.output).toContain('OK');
  expect(verify.code).toBe(0);
}

async function expectUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.headers.get('retry-after')).toBe('1');
  expect(await response.json()).toMatchObject({ status: 503 });
}

async function expectReadsWork(
  send: (method: string, path: string) => Promise<Response>,
  id: string,
  head: number,
): Promise<void> {
  const list = await send('GET', '/api/sessions');
  expect(list.status).toBe(200);
  expect(((await list.json()) as { position: number }).position).toBe(head);
  expect((await send('GET', `/api/sessions/${id}`)).status).toBe(200);
  const events = await send('GET', '/api/events');
  expect(events.status).toBe(200);
  expect(((await events.json()) as { head: number }).head).toBe(head);
  expect((await send('GET', `/api/sessions/${id}/events`)).status).toBe(200);
  expect((await send('GET', '/api/health')).status).toBe(200);
}

describe('faults of the disk and the database', () => {
  const faultyApp = useFaultyApp();

  it('disk full: a write answers 503, nothing is half-written, reads work, writes resume', async () => {
    const { log, db, workDir, send, file } = faultyApp();
    const started = await send('POST', '/api/sessions', { cwd: workDir });
    expect(started.status).toBe(201);
    const id = ((await started.json()) as { session: { id: string } }).session.id;
    let head = await log.store.head();

    // No free page left, and no page may be added: the next write that needs one fails with
    // SQLITE_FULL, as on a full disk.
    db.exec('VACUUM');
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const big = 'x'.repeat(9_000); // an overflow page at least: it cannot fit in a leaf

    await expectUnavailable(await send('PATCH', `/api/sessions/${id}`, { summary: big }));
    expect(await log.store.head()).toBe(head);
    // Small writes fit in what is left of the pages, until they do not.
    let written = 0;
    for (;;) {
      const key = `full-${written}`;
      const answer = await send(
        'POST',
        '/api/sessions',
        { cwd: workDir, name: 'n'.repeat(200) },
        {
          'idempotency-key': key,
        },
      );
      if (answer.status === 503) {
        await expectUnavailable(answer);
        expect(await log.store.findIdempotencyKey(key)).toBeUndefined();
        break;
      }
      expect(answer.status).toBe(201);
      expect(++written).toBeLessThan(200);
    }
    head += written;
    expect(await log.store.head()).toBe(head);

    // Concurrent writes land in one group commit: those that fit may commit, the others
    // fail; each answer says which, and the log holds exactly what was acknowledged.
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) =>
        send('PATCH', `/api/sessions/${id}`, { summary: `${i}${big}` }),
      ),
      ...Array.from({ length: 6 }, (_, i) =>
        send('PATCH', `/api/sessions/${id}`, { name: `n${i}` }),
      ),
      send('POST', '/api/sessions', { cwd: workDir }),
    ]);
    let acknowledged = 0;
    for (const answer of answers) {
      if (answer.status === 503) await expectUnavailable(answer);
      else {
        expect(answer.status).toBeLessThan(300);
        acknowledged++;
      }
    }
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThanOrEqual(6);
    expect(await log.store.head()).toBe(head + acknowledged);
    await expectReadsWork(send, id, head + acknowledged);
    await expectConsistent(log, file);

    // Space is back: writes go through again.
    db.pragma('max_page_count = 1073741823');
    const patched = await send('PATCH', `/api/sessions/${id}`, { summary: big });
    expect(patched.status).toBe(200);
    expect(await log.store.head()).toBe(head + acknowledged + 1);
    await expectConsistent(log, file);
  });

  it('read-only log: a write answers 503, reads keep working, writes resume', async () => {
    const { log, db, workDir, send, file } = faultyApp();
    const started = await send('POST', '/api/sessions', { cwd: workDir });
    const id = ((await started.json()) as { session: { id: string } }).session.id;
    const head = await log.store.head();

    db.pragma('query_only = ON');
    await expectUnavailable(await send('PATCH', `/api/sessions/${id}`, { name: 'n' }));
    await expectUnavailable(await send('POST', '/api/sessions', { cwd: workDir }));
    await expectUnavailable(await send('DELETE', `/api/sessions/${id}`));
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => send('PATCH', `/api/sessions/${id}`, { name: 'm' })),
    );
    for (const answer of concurrent) await expectUnavailable(answer);
    expect(await log.store.head()).toBe(head);
    await expectReadsWork(send, id, head);

    db.pragma('query_only = OFF');
    expect((await send('PATCH', `/api/sessions/${id}`, { name: 'n' })).status).toBe(200);
    expect(await log.store.head()).toBe(head + 1);
    await expectConsistent(log, file);
  });

  it('the clock jumping backwards: positions, not times, order the log over HTTP', async () => {
    const times = [
      new Date('2030-01-01T00:00:00Z'),
      new Date('2020-01-01T00:00:00Z'),
      new Date('2010-01-01T00:00:00Z'),
    ];
    const { send, workDir, log, file } = faultyApp(() => times.shift() ?? new Date());
    for (let i = 0; i < 3; i++) {
      expect((await send('POST', '/api/sessions', { cwd: workDir })).status).toBe(201);
    }
    const page = (await (await send('GET', '/api/events')).json()) as {
      events: { position: number; time: string }[];
    };
    expect(page.events.map((e) => [e.position, e.time.slice(0, 4)])).toEqual([
      [1, '2030'],
      [2, '2020'],
      [3, '2010'],
    ]);
    const after = (await (await send('GET', '/api/events?after=1')).json()) as {
      events: { position: number }[];
    };
    expect(after.events.map((e) => e.position)).toEqual([2, 3]);
    await expectConsistent(log, file);
  });
});

describe('the database locked by another process at start', () => {
  const logFile = useLogFile();

  it('serve fails with a message naming the file and the lock, not a stack trace', async () => {
    const file = logFile();
    const log = openSessionlog({ db: file });
    await log.close();
    const other = new Database(file);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const { code, output } = await runCli('serve', '--db', file, '--port', '0');
      expect(code).toBe(2);
      expect(output).toContain(file);
      expect(output).toMatch(/locked/);
      expect(output).toMatch(/another process/);
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      other.close();
    }
  }, 30_000);
});
