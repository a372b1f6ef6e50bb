import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import { StoreUnavailableError } from '../src/events/errors.js';
import type { PgDatabase } from '../src/stores/postgres/database.js';
import { PgTail } from '../src/stores/postgres/tail.js';
import { type PgNode, usePgNodes } from './support/pg-logs.js';
import { pgUnavailable, usePgAdmin, usePgSchemas } from './support/postgres.js';

const title = (what: string) => (pgUnavailable ? `${what} (skipped: ${pgUnavailable})` : what);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const change = (path: string) =>
  ({ type: 'FileChanged', data: { change: 'modified', path, kind: 'file' } }) as const;

/** Every event a subscriber is told of, in the order it is told. */
function collect(node: PgNode): Envelope[] {
  const seen: Envelope[] = [];
  node.store.subscribe((events) => seen.push(...events));
  return seen;
}

/** Waits until a subscriber has been told of `head` events (or more: the check comes after). */
async function caughtUp(seen: readonly Envelope[], head: number): Promise<void> {
  await vi.waitFor(
    () => {
      if (seen.length < head) throw new Error(`told of ${seen.length} of ${head} events`);
    },
    { timeout: 30_000, interval: 20 },
  );
}

/**
 * The same database, but its LISTEN connection can never be made (the port refuses): the
 * node learns of other nodes' commits by polling alone, as behind a pooler without LISTEN.
 */
function withoutListen(database: PgDatabase): PgDatabase {
  const url = new URL(database.config.connectionString ?? '');
  url.port = '1';
  return { ...database, config: { ...database.config, connectionString: url.toString() } };
}

/** A unique application_name (pg_stat_activity tells this node's connections by it). */
const nodeName = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

async function backends(admin: pg.Client, applicationName: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid',
    [applicationName],
  );
  return rows.map((r) => r.pid);
}

async function terminate(admin: pg.Client, applicationNames: readonly string[]): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number; done: boolean }>(
    `SELECT pid, pg_terminate_backend(pid) AS done FROM pg_stat_activity
     WHERE application_name = ANY($1::text[])`,
    [applicationNames],
  );
  expect(rows.every((r) => r.done)).toBe(true);
  return rows.map((r) => r.pid);
}

interface Ack {
  positions: number[];
  ids: string[];
}

/** One appender process (test/support/pg-appender.ts): ready once its store is open. */
interface Appender {
  child: ChildProcess;
  ready: Promise<void>;
  done: Promise<Ack[]>;
}

function spawnAppender(url: string, count: number, name: string): Appender {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/pg-appender.ts', url, String(count), name],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const acks: Ack[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    if (line === 'ready') markReady();
    else acks.push(JSON.parse(line) as Ack);
  });
  const done = new Promise<Ack[]>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(acks);
      else reject(new Error(`${name} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
  // An appender that dies before it is ready fails the test rather than hanging it.
  return { child, ready: Promise.race([ready, done.then(() => {})]), done };
}

describe.skipIf(pgUnavailable !== undefined)(title('tailing the PostgreSQL log'), () => {
  const pgSchemas = usePgSchemas();
  const admin = usePgAdmin();
  const open = usePgNodes();

  it('tells a tailer every event of 8 appending processes exactly once, in position order, while their transactions commit late', async () => {
    const url = pgSchemas();
    const PROCESSES = 8;
    const EACH = 150;
    const total = PROCESSES * EACH;
    const tailer = await open.store(url, { applicationName: 'tailer' });
    const poller = await open.store(url, {
      applicationName: 'poller',
      pollMs: 25,
      database: withoutListen,
    });
    const batches: number[][] = [];
    tailer.store.subscribe((events) => batches.push(events.map((e) => e.position)));
    const tailed = collect(tailer);
    const polled = collect(poller);

    const appenders = Array.from({ length: PROCESSES }, (_, n) =>
      spawnAppender(url, EACH, `appender-${n}`),
    );
    await Promise.all(appenders.map((a) => a.ready));
    for (const { child } of appenders) child.stdin?.end('go\n');
    const acks = (await Promise.all(appenders.map((a) => a.done))).flat();
    await Promise.all([caughtUp(tailed, total), caughtUp(polled, total)]);

    // What the appenders were acknowledged: every position once, with its event's id.
    const acknowledged = new Map<number, string>();
    for (const { positions, ids } of acks) {
      positions.forEach((position, i) => {
        expect(acknowledged.has(position), `position ${position} acknowledged twice`).toBe(false);
        acknowledged.set(position, ids[i] ?? '');
      });
    }
    expect([...acknowledged.keys()].sort((a, b) => a - b)).toEqual(range(1, total));
    for (const seen of [tailed, polled]) {
      expect(seen.map((e) => e.position)).toEqual(range(1, total));
      expect(seen.every((e) => acknowledged.get(e.position) === e.id)).toBe(true);
    }
    // Each notification's batch follows the one before it, with no gap and no overlap.
    expect(batches.flat()).toEqual(range(1, total));
    expect(poller.store.listening).toBe(false);
    expect(tailer.store.listening).toBe(true);
    // The processes' commits really interleaved (they did not run one after the other).
    const writers = tailed.map((e) => e.stream.replace(/-\d+$/, ''));
    const runs = writers.filter((w, i) => w !== writers[i - 1]).length;
    expect(runs).toBeGreaterThan(PROCESSES);
  }, 90_000);

  it('delivers the rest of its own large commit at once when a read woken by the NOTIFY has delivered its first page', async () => {
    // The NOTIFY often beats the COMMIT's answer: a read then delivers the commit's first
    // page and waits on the next; the commit offered meanwhile must not wait for that read.
    const node = await open.store(pgSchemas());
    // Five appends made at once, as a group commit writes them: one transaction.
    await Promise.all(
      range(1, 5).map((n) =>
        node.store.append(
          `large-${n}`,
          range(1, 300).map((i) => change(`f${i}`)),
        ),
      ),
    );
    const committed = await node.store.read({ after: 0, limit: 1500 });
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = new PgTail(node.database, 0, {
      read: async (after) => {
        const page = await node.store.read({ after, limit: 1000 });
        if (after > 0) await gate;
        return page;
      },
    });
    const told: number[] = [];
    tail.subscribe((events) => told.push(...events.map((e) => e.position)));
    tail.wake(1500);
    await vi.waitFor(() => expect(tail.delivered).toBe(1000));

    tail.offer(committed);
    expect(tail.delivered).toBe(1500);
    release();
    await tail.close();
    expect(told).toEqual(range(1, 1500));
  });

  it('tells a subscriber everything exactly once when its LISTEN connection is killed, and listens again', async () => {
    const url = pgSchemas();
    const name = nodeName('tail');
    const sql = await admin();
    const reader = await open.store(url, { applicationName: name });
    const writer = await open.store(url, { applicationName: nodeName('writer') });
    const seen = collect(reader);
    expect(reader.store.listening).toBe(true);

    let stop = false;
    let written = 0;
    const writing = Promise.all(
      Array.from({ length: 4 }, async (_, n) => {
        while (!stop && written < 5000) {
          await writer.store.append(`s${n}`, [change(`f${written}`)]);
          written++;
        }
      }),
    );
    for (let kill = 0; kill < 3; kill++) {
      const target = written + 50;
      await vi.waitFor(() => expect(written).toBeGreaterThanOrEqual(target), { timeout: 20_000 });
      const [before] = await backends(sql, `${name} listen`);
      expect(before).toBeDefined();
      expect(await terminate(sql, [`${name} listen`])).toEqual([before]);
      await vi.waitFor(
        async () => {
          const after = await backends(sql, `${name} listen`);
          expect(after).toHaveLength(1);
          expect(after[0]).not.toBe(before);
          expect(reader.store.listening).toBe(true);
        },
        { timeout: 20_000, interval: 25 },
      );
    }
    const target = written + 50;
    await vi.waitFor(() => expect(written).toBeGreaterThanOrEqual(target), { timeout: 20_000 });
    stop = true;
    await writing;
    const head = await writer.store.head();
    await caughtUp(seen, head);
    expect(seen.map((e) => e.position)).toEqual(range(1, head));
    expect(seen).toEqual(await writer.store.read());
    expect(reader.store.listening).toBe(true);
  }, 90_000);

  it('appends again and resumes its tail without loss or duplicate after every pool connection is terminated', async () => {
    const url = pgSchemas();
    const name = nodeName('node');
    const sql = await admin();
    const node = await open.store(url, {
      applicationName: name,
      // Transactions stay open a moment: the kill finds some between two statements.
      beforeCommit: () => sleep(Math.random() * 5),
    });
    const other = await open.store(url, { applicationName: nodeName('other') });
    const seenHere = collect(node);
    const seenThere = collect(other);

    const WRITERS = 4;
    const EACH = 60;
    let acked = 0;
    let ackedAfterKill = 0;
    let killed = false;
    const failures: unknown[] = [];
    const positions = new Map<string, number>();
    // A failed append's outcome is unknown (the COMMIT may have been lost with its
    // connection): it is retried under the same idempotency key, which appends it at most once.
    const writing = Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; i < EACH; i++) {
          const key = `w${w}-${i}`;
          for (let attempt = 0; ; attempt++) {
            try {
              const result = await node.store.append(`s${w}`, [change(key)], {
                idempotencyKey: key,
              });
              positions.set(key, result.position);
              acked++;
              if (killed) ackedAfterKill++;
              break;
            } catch (error) {
              failures.push(error);
              if (!(error instanceof StoreUnavailableError) || attempt >= 20) throw error;
              await sleep(20);
            }
          }
        }
      }),
    );
    await vi.waitFor(() => expect(acked).toBeGreaterThanOrEqual(60), { timeout: 20_000 });
    const pool = await backends(sql, name);
    expect(pool.length).toBeGreaterThan(0);
    const terminated = await terminate(sql, [name, `${name} listen`]);
    killed = true;
    expect(terminated.length).toBeGreaterThanOrEqual(2); // the pool's, and the LISTEN one
    await writing;

    expect(ackedAfterKill).toBeGreaterThan(0);
    expect(failures.every((f) => f instanceof StoreUnavailableError)).toBe(true);
    // The pool made new connections, and the tail listens again on one of its own.
    const now = await backends(sql, name);
    expect(now.length).toBeGreaterThan(0);
    expect(now.filter((pid) => terminated.includes(pid))).toEqual([]);
    await vi.waitFor(() => expect(node.store.listening).toBe(true), { timeout: 20_000 });

    const total = WRITERS * EACH;
    const log = await other.store.read();
    expect(log.map((e) => e.position)).toEqual(range(1, total));
    // Each logical append is in the log once, where its (first) answer said.
    expect(new Set(log.map((e) => e.meta.idempotencyKey)).size).toBe(total);
    for (const event of log) {
      expect(positions.get(event.meta.idempotencyKey ?? '')).toBe(event.position);
    }
    await Promise.all([caughtUp(seenHere, total), caughtUp(seenThere, total)]);
    expect(seenHere).toEqual(log);
    expect(seenThere).toEqual(log);
    // And it goes on: a later append is told to both once more.
    await node.store.append('s0', [change('after')]);
    await Promise.all([caughtUp(seenHere, total + 1), caughtUp(seenThere, total + 1)]);
    expect(seenHere.map((e) => e.position)).toEqual(range(1, total + 1));
    expect(seenThere.map((e) => e.position)).toEqual(range(1, total + 1));
  }, 90_000);

  it('delivers by polling alone when the node cannot LISTEN, its own commits and the others’ in order', async () => {
    const url = pgSchemas();
    const polling = await open.store(url, {
      applicationName: nodeName('polling'),
      pollMs: 50,
      database: withoutListen,
    });
    const writer = await open.store(url, { applicationName: nodeName('writer') });
    const seen = collect(polling);
    expect(polling.store.listening).toBe(false);

    // Both nodes write: the polling node's own commits come right after others' it has not
    // read yet, and must wait for them.
    await Promise.all(
      Array.from({ length: 6 }, async (_, n) => {
        const node = n % 2 === 0 ? writer : polling;
        for (let i = 0; i < 40; i++) {
          await node.store.append(`s${n}`, [change(`f${i}`)]);
          if (i % 10 === 0) await sleep(Math.random() * 30);
        }
      }),
    );
    const head = await writer.store.head();
    expect(head).toBe(240);
    await caughtUp(seen, head);
    expect(seen.map((e) => e.position)).toEqual(range(1, head));
    expect(seen).toEqual(await writer.store.read());
    expect(polling.store.listening).toBe(false);

    // A commit of the other node alone, long after: only a poll can bring it.
    await writer.store.append('late', [change('late')]);
    await caughtUp(seen, head + 1);
    expect(seen.at(-1)?.stream).toBe('late');
    expect(seen).toHaveLength(head + 1);
  }, 60_000);
});
