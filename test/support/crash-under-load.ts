import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { Envelope } from '../../src/events/envelope.js';
import { type Collector, subscribe } from '../../src/testing/subscribe.js';
import { freePort, type ServerChild, send, serveChild } from './server-child.js';

const WRITERS = 8;
const READERS = 4;
const UPDATES_PER_SESSION = 6;

interface Ack {
  key: string;
  stream: string;
  position: number;
}

interface Seen {
  position: number;
  id: string;
}

export interface CrashUnderLoad {
  /** The log all nodes serve: a file (one node) or a PostgreSQL URL (any number). */
  db: string;
  /** The sessions' cwd. */
  cwd: string;
  /** `serve` children on one log; node k % nodes is the one SIGKILLed at kill k. */
  nodes: number;
  kills: number;
  /** Names the run in the line it prints. */
  label: string;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/**
 * `sessionlog serve` children under 8 HTTP writers (every write with its own Idempotency-Key,
 * retried with the same key, on any node, until answered) and 4 WebSocket readers (resuming
 * from their last position on any node after every disconnect), SIGKILLed at random moments
 * and restarted on the same log and port. Then checks that every acknowledged write is in the
 * log once, where its answer said; that every reader saw every position once, in order; and
 * that `verify` passes. Returns the heads announced at each restart and the final head.
 */
export async function crashUnderLoad(run: CrashUnderLoad): Promise<{
  heads: number[];
  finalHead: number;
}> {
  const { db, cwd, kills: KILLS } = run;
  const ports: number[] = [];
  for (let n = 0; n < run.nodes; n++) ports.push(await freePort());
  const nodes: ServerChild[] = [];
  for (const port of ports) nodes.push(await serveChild(db, port));
  /** The head each restart announced: heads[r] is what was committed when node r died. */
  const heads: number[] = [];
  let kills = 0;
  let stopping = false;
  let finalHead: number | undefined;

  const acks: Ack[] = [];
  const refusals: string[] = [];
  let retried = 0;
  let replayed = 0;

  /**
   * Sends a write until it gets an answer: a network failure (the node died, or is not back
   * yet) is retried with the same Idempotency-Key, on any node. A 2xx is an acknowledgement.
   */
  async function write(
    method: 'POST' | 'PATCH',
    path: string,
    body: unknown,
    key: string,
  ): Promise<Ack | undefined> {
    let failedOn: number | undefined;
    for (;;) {
      try {
        const answer = await send(pick(ports), method, path, {
          body,
          headers: { 'idempotency-key': key },
        });
        if (answer.status < 200 || answer.status > 299) {
          refusals.push(
            `${method} ${path} [${key}]: ${answer.status} ${JSON.stringify(answer.body)}`,
          );
          return undefined;
        }
        const { session, position } = answer.body as {
          session: { id: string };
          position: number;
        };
        if (failedOn !== undefined) {
          retried++;
          // Committed by the node that died before it could answer: answered from the log.
          if (position <= (heads[failedOn] ?? Number.POSITIVE_INFINITY)) replayed++;
        }
        const ack = { key, stream: session.id, position };
        acks.push(ack);
        return ack;
      } catch {
        failedOn ??= heads.length; // the restart that came (or comes) after it failed
        await sleep(10 + Math.random() * 30);
      }
    }
  }

  async function writer(n: number): Promise<void> {
    for (let s = 0; !stopping; s++) {
      const key = `w${n}-s${s}`;
      const created = await write('POST', '/api/sessions', { cwd, name: key }, key);
      if (created === undefined) return;
      for (let u = 0; u < UPDATES_PER_SESSION && !stopping; u++) {
        const body = u % 2 === 0 ? { name: `${key} v${u}` } : { summary: `step ${u}` };
        const path = `/api/sessions/${encodeURIComponent(created.stream)}`;
        if ((await write('PATCH', path, body, `${key}-u${u}`)) === undefined) return;
      }
    }
  }

  /** Reconnects, to any node, with after = its last position after every disconnect. */
  async function reader(): Promise<{ seen: Seen[]; connections: number }> {
    const seen: Seen[] = [];
    let after = 0;
    let logId: string | undefined;
    let connections = 0;
    for (;;) {
      if (finalHead !== undefined && after >= finalHead) return { seen, connections };
      let client: Collector;
      try {
        client = await subscribe(`http://127.0.0.1:${pick(ports)}/`, { after, logId });
      } catch {
        await sleep(20 + Math.random() * 30); // that node is down or restarting
        continue;
      }
      connections++;
      logId = client.logId;
      if (finalHead === undefined) {
        // Until the node dies, or a cut of our own now and then.
        await Promise.race([client.closed, sleep(200 + Math.random() * 1500)]);
      } else {
        await client.waitFor(finalHead, { timeout: 20_000 }).catch(() => undefined);
      }
      client.cut();
      // Events and position taken together: whatever arrives after this is not counted.
      seen.push(...client.events.map((e) => ({ position: e.position, id: e.id })));
      after = client.position;
      const reset = client.frames.find((f) => f.type === 'reset');
      if (reset !== undefined) throw new Error(`reader got a reset: ${JSON.stringify(reset)}`);
    }
  }

  const writing = Promise.all(Array.from({ length: WRITERS }, (_, n) => writer(n)));
  const reading = Promise.all(Array.from({ length: READERS }, () => reader()));

  for (let k = 0; k < KILLS; k++) {
    await sleep(250 + Math.random() * 1250);
    const n = k % nodes.length;
    const node = nodes[n] as ServerChild;
    kills++;
    await node.kill();
    expect(node.child.signalCode).toBe('SIGKILL');
    const restarted = await serveChild(db, ports[n] as number);
    nodes[n] = restarted;
    heads.push(restarted.head);
  }
  await sleep(300);
  stopping = true;
  await writing; // each writer's last write got its answer
  const [first, last] = [ports[0] as number, ports.at(-1) as number];
  const health = await send(first, 'GET', '/api/health');
  const head = (health.body as { head: number }).head;
  finalHead = head;
  const readers = await reading;

  const all = await send(last, 'GET', '/api/events', {
    headers: { accept: 'application/x-ndjson' },
  });
  const events = String(all.body)
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Envelope);
  for (const node of nodes) expect(await node.stop()).toBe(0);

  console.log(
    `crash under load, ${run.label}: ${kills} kills (heads at restart ${heads.join(', ')}), ` +
      `${acks.length} acknowledged writes, ${retried} retried after a crash` +
      (run.nodes === 1 ? ` (${replayed} of them committed before it, answered from the log)` : '') +
      `, reader connections ${readers.map((r) => r.connections).join('/')}, head ${head}`,
  );

  expect(refusals).toEqual([]);
  expect(kills).toBe(KILLS);
  // Writes landed between the kills, not only before the first or after the last.
  expect(heads.every((h, i) => i === 0 || h > (heads[i - 1] ?? 0))).toBe(true);
  expect(heads[0]).toBeGreaterThan(0);

  // The log: 1..head, every event one of our writes, no key twice.
  expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
  expect(events.at(-1)?.position).toBe(head);
  const perKey = new Map<string, number>();
  for (const event of events) {
    const key = event.meta.idempotencyKey;
    expect(key, `event ${event.position} has no idempotency key`).toBeDefined();
    perKey.set(key as string, (perKey.get(key as string) ?? 0) + 1);
  }
  expect([...perKey].filter(([, count]) => count !== 1)).toEqual([]);

  // Every acknowledged write is there, where its answer said, under its key; and every
  // event is an acknowledged write (each writer waited for its last answer).
  for (const ack of acks) {
    const event = events[ack.position - 1];
    expect(
      { key: event?.meta.idempotencyKey, stream: event?.stream },
      `acknowledged ${ack.key} at ${ack.position}`,
    ).toEqual({ key: ack.key, stream: ack.stream });
  }
  expect(new Set(acks.map((a) => a.key)).size).toBe(acks.length);
  expect(acks.length).toBe(events.length);

  // Every reader: each position once, in order, and the event the log holds there. With one
  // node every kill cut every reader; with several, each resumed at least once.
  const expected = events.map((e) => ({ position: e.position, id: e.id }));
  for (const { seen, connections } of readers) {
    expect(connections).toBeGreaterThan(run.nodes === 1 ? KILLS : 1);
    expect(seen).toEqual(expected);
  }

  const verify = await promisify(execFile)(process.execPath, [
    'bin/sessionlog.js',
    'verify',
    '--db',
    db,
  ]).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: `${error.stdout}${error.stderr}`,
    }),
  );
  // verify compares the stored tree's root with one computed afresh from the events' hashes.
  expect(verify.output).toMatch(/tree {9}\d+ leaves, root \S+ equals a fresh computation/);
  expect(verify.output).toContain('OK');
  expect(verify.code).toBe(0);
  return { heads, finalHead: head };
}
