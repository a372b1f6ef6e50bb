import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Envelope } from '../../src/events/envelope.js';
import { freePort, type ServerChild, send, serveChild } from './server-child.js';

/** A `sessionlog serve` process on a PostgreSQL log, with the port it answers on. */
export interface PgNode extends ServerChild {
  readonly port: number;
  /** Its connections' application_name in pg_stat_activity. */
  readonly name: string;
}

/**
 * Starts `serve --db <url>` as a node named `name`: the name goes into the URL as libpq's
 * `application_name` parameter, so that a test finds (and terminates) this node's backends.
 */
export async function startPgNode(db: string, name: string): Promise<PgNode> {
  const url = new URL(db);
  url.searchParams.set('application_name', name);
  const port = await freePort();
  const child = await serveChild(url.toString(), port);
  return Object.assign(child, { port, name });
}

/**
 * Terminates every backend of the node named `name` (its pool and its LISTEN connection), as a
 * database restart or a network cut would end them; returns the last statement of each.
 */
export async function terminateBackends(admin: pg.Client, name: string): Promise<string[]> {
  const { rows } = await admin.query<{ query: string; terminated: boolean }>(
    `SELECT query, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
     WHERE application_name IN ($1, $1 || ' listen') AND pid <> pg_backend_pid()`,
    [name],
  );
  return rows.filter((row) => row.terminated).map((row) => row.query);
}

/** True while the node named `name` has a connection listening for the log's commits. */
export async function isListening(admin: pg.Client, name: string): Promise<boolean> {
  const { rows } = await admin.query(
    `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 || ' listen' AND query LIKE 'LISTEN %'`,
    [name],
  );
  return rows.length > 0;
}

export interface Ack {
  key: string;
  stream: string;
  position: number;
}

/**
 * HTTP writes as a careful client sends them: each with an Idempotency-Key, sent again with the
 * same key after a network failure or a 503 (to whichever node `target()` names then), until it
 * gets an answer. Other refusals are kept for the test to show.
 */
export class Writes {
  readonly acks: Ack[] = [];
  readonly refusals: string[] = [];
  /** Answers that said to retry (503), and network failures. */
  unavailable = 0;
  networkFailures = 0;

  async send(
    target: () => number,
    method: 'POST' | 'PATCH',
    path: string,
    body: unknown,
    key: string,
    timeoutMs = 30_000,
  ): Promise<Ack | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (performance.now() > deadline) {
        throw new Error(`${method} ${path} [${key}]: no answer but 503 in ${timeoutMs} ms`);
      }
      let answer: Awaited<ReturnType<typeof send>>;
      try {
        answer = await send(target(), method, path, {
          body,
          headers: { 'idempotency-key': key },
        });
      } catch {
        this.networkFailures++;
        await sleep(10 + Math.random() * 30);
        continue;
      }
      if (answer.status === 503) {
        this.unavailable++;
        await sleep(10 + Math.random() * 30);
        continue;
      }
      if (answer.status < 200 || answer.status > 299) {
        this.refusals.push(
          `${method} ${path} [${key}]: ${answer.status} ${JSON.stringify(answer.body)}`,
        );
        return undefined;
      }
      const { session, position } = answer.body as { session?: { id: string }; position: number };
      const ack = { key, stream: session?.id ?? path, position };
      this.acks.push(ack);
      return ack;
    }
  }

  /** Starts sessions and updates each a few times, until `stopped()`. */
  async sessions(
    target: () => number,
    prefix: string,
    cwd: string,
    stopped: () => boolean,
  ): Promise<void> {
    for (let s = 0; !stopped(); s++) {
      const key = `${prefix}-s${s}`;
      const created = await this.send(target, 'POST', '/api/sessions', { cwd, name: key }, key);
      if (created === undefined) return;
      const path = `/api/sessions/${encodeURIComponent(created.stream)}`;
      for (let u = 0; u < 4 && !stopped(); u++) {
        const update = u % 2 === 0 ? { name: `${key} v${u}` } : { summary: `step ${u}` };
        if ((await this.send(target, 'PATCH', path, update, `${key}-u${u}`)) === undefined) return;
      }
    }
  }
}

/** The whole log as a node serves it (NDJSON export), in position order. */
export async function wholeLog(port: number): Promise<Envelope[]> {
  const answer = await send(port, 'GET', '/api/events', {
    headers: { accept: 'application/x-ndjson' },
    timeoutMs: 30_000,
  });
  if (answer.status !== 200) throw new Error(`GET /api/events: ${answer.status}`);
  return String(answer.body)
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Envelope);
}

/** The log's head and id, as a node reports them. */
export async function health(port: number): Promise<{ head: number; logId: string }> {
  const answer = await send(port, 'GET', '/api/health');
  if (answer.status !== 200) throw new Error(`GET /api/health: ${answer.status}`);
  return answer.body as { head: number; logId: string };
}

/** 1, 2, …, n: the positions of a log of n events (PostgreSQL numbers them without gaps). */
export function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
