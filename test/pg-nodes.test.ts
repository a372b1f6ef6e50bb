import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import { type Collector, subscribe } from '../src/testing/subscribe.js';
import {
  health,
  isListening,
  oneTo,
  startPgNode,
  terminateBackends,
  Writes,
  wholeLog,
} from './support/pg-nodes.js';
import { pgUnavailable, usePgAdmin, usePgSchemas } from './support/postgres.js';
import { send } from './support/server-child.js';
import { useTempDir } from './support/temp-dir.js';

/** What a client saw, as (position, id) pairs, to compare with the log. */
const seen = (events: readonly Envelope[]) =>
  events.map((e) => ({ position: e.position, id: e.id }));

/** Waits (bounded) until `check` holds. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

/** Each idempotency key once in the log, and each acknowledged write where its answer said. */
function expectAcksOnce(events: readonly Envelope[], writes: Writes) {
  const keys = events.map((e) => e.meta.idempotencyKey);
  expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  for (const ack of writes.acks) {
    const event = events[ack.position - 1];
    expect({ key: event?.meta.idempotencyKey, stream: event?.stream }, ack.key).toEqual({
      key: ack.key,
      stream: ack.stream,
    });
  }
}

describe.skipIf(pgUnavailable !== undefined)(
  `several serve nodes on one PostgreSQL log${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`,
  () => {
    const schema = usePgSchemas();
    const admin = usePgAdmin();
    const tempDir = useTempDir();

    it("delivers a session created through one node to another node's WebSocket clients and session list", async () => {
      const db = schema();
      const [a, b] = [await startPgNode(db, 'nodes_a1'), await startPgNode(db, 'nodes_b1')];
      const onA = await subscribe(a.url);
      const onB = await subscribe(b.url);
      expect(onB.logId).toBe(onA.logId);

      const created = await send(a.port, 'POST', '/api/sessions', {
        body: { cwd: tempDir(), name: 'made on A' },
      });
      expect(created.status).toBe(201);
      const { session, position } = created.body as { session: { id: string }; position: number };
      await onB.waitFor(position, { timeout: 10_000 });
      expect(onB.events.map((e) => [e.type, e.stream, e.position])).toEqual([
        ['SessionStarted', session.id, position],
      ]);
      const listed = await send(b.port, 'GET', '/api/sessions');
      const table = listed.body as {
        sessions: Array<{ id: string; name: string }>;
        position: number;
      };
      expect(table.sessions.map((s) => [s.id, s.name])).toEqual([[session.id, 'made on A']]);
      expect(table.position).toBeGreaterThanOrEqual(position);

      // And the other way round, into the client of the node that took the first write.
      const ended = await send(b.port, 'PATCH', `/api/sessions/${session.id}`, {
        body: { status: 'completed' },
      });
      expect(ended.status).toBe(200);
      const { position: endedAt } = ended.body as { position: number };
      await onA.waitFor(endedAt, { timeout: 10_000 });
      expect(onA.events.map((e) => e.type)).toEqual(['SessionStarted', 'SessionEnded']);
      await Promise.all([onA.close(), onB.close()]);
    }, 60_000);

    it('a client cut by a SIGKILLed node resumes on another with after = its last position: every position once, in order', async () => {
      const db = schema();
      const cwd = tempDir();
      const a = await startPgNode(db, 'nodes_a2');
      const b = await startPgNode(db, 'nodes_b2');
      const writes = new Writes();
      let aDown = false;
      let stopping = false;
      const stopped = () => stopping;
      // One writer on A (after A dies, its retries go to B with the same keys), three on B.
      const writing = Promise.all([
        writes.sessions(() => (aDown ? b.port : a.port), 'a0', cwd, stopped),
        ...[1, 2, 3].map((n) => writes.sessions(() => b.port, `b${n}`, cwd, stopped)),
      ]);
      const fromStart = await subscribe(a.url, { after: 0 });
      const liveOnly = await subscribe(a.url);
      await fromStart.waitFor((events) => events.length >= 40, { timeout: 20_000 });

      const ackedBeforeKill = writes.acks.length;
      await a.kill();
      aDown = true;
      // The network drops both connections: no close frame from a SIGKILLed server.
      expect((await fromStart.closed).code).toBe(1006);
      expect((await liveOnly.closed).code).toBe(1006);
      const resumed: Collector[] = [];
      for (const cut of [fromStart, liveOnly]) {
        resumed.push(await subscribe(b.url, { after: cut.position, logId: cut.logId }));
      }
      // Writes go on through B (and A's writer fails over to it) for a while.
      await until('writes acknowledged after the kill', async () => {
        await sleep(100);
        return writes.acks.length >= ackedBeforeKill + 40;
      });
      stopping = true;
      await writing;
      const { head } = await health(b.port);
      await Promise.all(resumed.map((client) => client.waitFor(head, { timeout: 30_000 })));
      const log = await wholeLog(b.port);
      await Promise.all(resumed.map((client) => client.close()));

      expect(writes.refusals).toEqual([]);
      expect(log.map((e) => e.position)).toEqual(oneTo(head));
      expectAcksOnce(log, writes);
      const [fromStartOnB, liveOnlyOnB] = resumed as [Collector, Collector];
      // Mid-stream: A had delivered part of the log, B delivered the rest, which went on growing.
      expect(fromStart.events.length).toBeGreaterThanOrEqual(40);
      expect(fromStartOnB.events.length).toBeGreaterThan(0);
      expect([...seen(fromStart.events), ...seen(fromStartOnB.events)]).toEqual(seen(log));
      const liveFrom = liveOnly.frames[0]?.type === 'hello' ? liveOnly.frames[0].after : -1;
      expect([...seen(liveOnly.events), ...seen(liveOnlyOnB.events)]).toEqual(
        seen(log.slice(liveFrom)),
      );
      for (const client of [fromStart, liveOnly, ...resumed]) {
        expect(client.frames.filter((f) => f.type === 'reset' || f.type === 'error')).toEqual([]);
      }
    }, 90_000);

    it("a client that writes through one node and subscribes on another with after = its write's position is not reset", async () => {
      const db = schema();
      const cwd = tempDir();
      const a = await startPgNode(db, 'nodes_a3');
      const b = await startPgNode(db, 'nodes_b3');
      const { logId } = await health(a.port);
      const post = async () => {
        const answer = await send(a.port, 'POST', '/api/sessions', { body: { cwd } });
        expect(answer.status).toBe(201);
        return (answer.body as { position: number }).position;
      };
      /** Not reset: greeted with its own `after`, then live, on a connection that stays open. */
      const expectFollowing = async (client: Collector, position: number) => {
        expect(client.frames[0]).toMatchObject({ type: 'hello', after: position, logId });
        await client.waitFor(() => client.frames.some((f) => f.type === 'live'), {
          timeout: 10_000,
        });
        expect(client.frames.filter((f) => f.type === 'reset')).toEqual([]);
      };

      // As a dashboard does it: POST, then at once open the socket on whichever node.
      for (let round = 0; round < 10; round++) {
        const position = await post();
        const client = await subscribe(b.url, { after: position, logId });
        await expectFollowing(client, position);
        await client.close();
      }

      // B surely behind: paused, with its connections (LISTEN included) ended, while the write
      // commits through A and the clients connect; they are served once B runs again.
      process.kill(b.pid, 'SIGSTOP');
      let clients: Collector[];
      let position: number;
      try {
        expect((await terminateBackends(await admin(), b.name)).length).toBeGreaterThan(0);
        position = await post();
        const connecting = Array.from({ length: 5 }, () =>
          subscribe(b.url, { after: position, logId }),
        );
        await sleep(200);
        process.kill(b.pid, 'SIGCONT');
        clients = await Promise.all(connecting);
      } finally {
        process.kill(b.pid, 'SIGCONT');
      }
      for (const client of clients) await expectFollowing(client, position);
      // What follows the client's own write reaches it, and nothing before it.
      const next = await post();
      for (const client of clients) {
        await client.waitFor(next, { timeout: 10_000 });
        expect(client.events.map((e) => e.position)).toEqual([next]);
        await client.close();
      }
    }, 60_000);

    it('a node whose PostgreSQL connections are terminated keeps serving: its clients get every later event once, and writes through it succeed again', async () => {
      const db = schema();
      const cwd = tempDir();
      const a = await startPgNode(db, 'nodes_a4');
      const b = await startPgNode(db, 'nodes_b4');
      const pgAdmin = await admin();
      const onA = await subscribe(a.url, { after: 0 });
      const writes = new Writes();
      let stopping = false;
      const stopped = () => stopping;
      const writing = Promise.all([
        writes.sessions(() => a.port, 'a', cwd, stopped),
        writes.sessions(() => a.port, 'a2', cwd, stopped),
        writes.sessions(() => b.port, 'b', cwd, stopped),
      ]);
      const throughA = () => writes.acks.filter((ack) => ack.key.startsWith('a')).length;

      const outages: string[][] = [];
      for (let outage = 0; outage < 2; outage++) {
        await until('writes through A', async () => throughA() >= 10 * (outage + 1));
        await until("A's LISTEN connection", () => isListening(pgAdmin, a.name));
        const ended = await terminateBackends(pgAdmin, a.name);
        outages.push(ended);
        const before = throughA();
        // Writes through A succeed again (retried with the same key when they got a 503).
        await until('writes through A after the outage', async () => throughA() >= before + 10);
        await until("A's LISTEN connection made again", () => isListening(pgAdmin, a.name));
      }
      stopping = true;
      await writing;
      const { head } = await health(a.port);
      await onA.waitFor(head, { timeout: 30_000 });
      const log = await wholeLog(b.port);

      console.log(
        `pg outages: ended ${outages.map((o) => o.length).join(' and ')} backends of A; ` +
          `${writes.acks.length} writes acknowledged, ${writes.unavailable} answers 503 and ` +
          `${writes.networkFailures} network failures retried`,
      );
      expect(writes.refusals).toEqual([]);
      for (const ended of outages) {
        expect(ended.some((query) => query.startsWith('LISTEN '))).toBe(true);
      }
      expect(log.map((e) => e.position)).toEqual(oneTo(head));
      expectAcksOnce(log, writes);
      // The same connection throughout: every event once, in order, nothing but events.
      expect(seen(onA.events)).toEqual(seen(log));
      expect(onA.frames.filter((f) => !['hello', 'events', 'live'].includes(f.type))).toEqual([]);
      const stillOpen = await Promise.race([onA.closed.then(() => false), sleep(50, true)]);
      expect(stillOpen).toBe(true);
      await onA.close();
    }, 120_000);
  },
);
