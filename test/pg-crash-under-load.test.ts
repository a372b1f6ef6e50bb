import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import { type Collector, subscribe } from '../src/testing/subscribe.js';
import { pgUnavailable, usePgSchemas } from './support/postgres.js';
import { freePort, type ServerChild, send, serveChild } from './support/server-child.js';
import { useTempDir } from './support/temp-dir.js';

// The crash-under-load test of a single SQLite node (crash-under-load.test.ts), on two serve
// nodes of one PostgreSQL log: writers and readers use either node and move to the other when
// theirs dies; the nodes are SIGKILLed in turn. SESSIONLOG_LONG=1 for 20 kills.
const LONG = process.env.SESSIONLOG_LONG === '1';
const KILLS = LONG ? 20 : 3;
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

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

describe.skipIf(pgUnavailable !== undefined)(
  `two PostgreSQL nodes SIGKILLed in turn under concurrent HTTP writes and WebSocket readers${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`,
  () => {
    const tempDir = useTempDir();
    const schemas = usePgSchemas();

    it(
      `keeps every acknowledged write once, and every resuming reader sees every position once (${KILLS} kills${LONG ? ', long mode' : ''})`,
      async () => {
        const dir = tempDir();
        const db = schemas();
        const ports = [await freePort(), await freePort()];
        const nodes: ServerChild[] = [];
        for (const port of ports) nodes.push(await serveChild(db, port));
        /** The head each restart announced. */
        const heads: number[] = [];
        let kills = 0;
        let stopping = false;
        let finalHead: number | undefined;

        const acks: Ack[] = [];
        const refusals: string[] = [];
        let retried = 0;

        /**
         * Sends a write until it gets an answer: a network failure (the server died, or is not
         * back yet) is retried with the same Idempotency-Key. A 2xx is an acknowledgement.
         */
        async function write(
          method: 'POST' | 'PATCH',
          path: string,
          body: unknown,
          key: string,
        ): Promise<Ack | undefined> {
          let failedOn = false;
          for (;;) {
            try {
              // Any node will do: a write that failed on one is retried on either.
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
              // Retried on either node; one committed before its node died is answered from
              // the log under its key (the checks below find it once, where the answer said).
              if (failedOn) retried++;
              const ack = { key, stream: session.id, position };
              acks.push(ack);
              return ack;
            } catch {
              failedOn = true;
              await sleep(10 + Math.random() * 30);
            }
          }
        }

        async function writer(n: number): Promise<void> {
          for (let s = 0; !stopping; s++) {
            const key = `w${n}-s${s}`;
            const created = await write('POST', '/api/sessions', { cwd: dir, name: key }, key);
            if (created === undefined) return;
            for (let u = 0; u < UPDATES_PER_SESSION && !stopping; u++) {
              const body = u % 2 === 0 ? { name: `${key} v${u}` } : { summary: `step ${u}` };
              const path = `/api/sessions/${encodeURIComponent(created.stream)}`;
              if ((await write('PATCH', path, body, `${key}-u${u}`)) === undefined) return;
            }
          }
        }

        /** Reconnects with after = its last position after every disconnect, until the end. */
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
              // Until the server dies, or a cut of our own now and then.
              await Promise.race([client.closed, sleep(200 + Math.random() * 1500)]);
            } else {
              await client.waitFor(finalHead, { timeout: 20_000 }).catch(() => undefined);
            }
            client.cut();
            // Events and position taken together: whatever arrives after this is not counted.
            seen.push(...client.events.map((e) => ({ position: e.position, id: e.id })));
            after = client.position;
            const reset = client.frames.find((f) => f.type === 'reset');
            if (reset !== undefined)
              throw new Error(`reader got a reset: ${JSON.stringify(reset)}`);
          }
        }

        const writing = Promise.all(Array.from({ length: WRITERS }, (_, n) => writer(n)));
        const reading = Promise.all(Array.from({ length: READERS }, () => reader()));

        for (let k = 0; k < KILLS; k++) {
          await sleep(250 + Math.random() * 1250);
          const n = k % 2;
          const node = nodes[n] as ServerChild;
          kills++;
          await node.kill();
          expect(node.child.signalCode).toBe('SIGKILL');
          nodes[n] = await serveChild(db, ports[n] as number);
          heads.push(nodes[n].head);
        }
        await sleep(300);
        stopping = true;
        await writing; // each writer's last write got its answer
        const [portA, portB] = ports as [number, number];
        const health = await send(portA, 'GET', '/api/health');
        finalHead = (health.body as { head: number }).head;
        const readers = await reading;

        const all = await send(portB, 'GET', '/api/events', {
          headers: { accept: 'application/x-ndjson' },
        });
        const events = String(all.body)
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as Envelope);
        for (const node of nodes) expect(await node.stop()).toBe(0);

        console.log(
          `crash under load, two PostgreSQL nodes: ${kills} kills (heads at restart ${heads.join(', ')}), ` +
            `${acks.length} acknowledged writes, ${retried} retried after a crash, ` +
            `reader connections ${readers.map((r) => r.connections).join('/')}, head ${finalHead}`,
        );

        expect(refusals).toEqual([]);
        expect(kills).toBe(KILLS);
        // Writes landed between the kills, not only before the first or after the last.
        expect(heads.every((head, i) => i === 0 || head > (heads[i - 1] ?? 0))).toBe(true);
        expect(heads[0]).toBeGreaterThan(0);
        expect(finalHead).toBeGreaterThan(heads.at(-1) ?? 0);

        // The log: 1..head, every event one of our writes, no key twice.
        expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
        expect(events.at(-1)?.position).toBe(finalHead);
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

        // Every reader: each position once, in order, and the event the log holds there.
        const expected = events.map((e) => ({ position: e.position, id: e.id }));
        for (const { seen, connections } of readers) {
          // Cut by a dying node or by its own cuts: it resumed at least once.
          expect(connections).toBeGreaterThan(1);
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
        expect(verify.output).toContain('OK');
        expect(verify.code).toBe(0);
      },
      LONG ? 600_000 : 120_000,
    );
  },
);
