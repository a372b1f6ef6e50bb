import { performance } from 'node:perf_hooks';
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Sink, Subscription } from '../src/http/gateway/subscription.js';
import {
  createSubscriptionHub,
  type SubscriptionHub,
} from '../src/http/gateway/subscription-hub.js';
import { wsEncoder } from '../src/http/gateway/ws-encoder.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { SqliteEventStore } from '../src/stores/sqlite/store.js';
import { started } from './support/events.js';
import { useLogFile } from './support/temp-dir.js';

const logFile = useLogFile();
let close: (() => void) | undefined;
afterEach(() => {
  close?.();
  close = undefined;
});

/** What a subscriber's socket was handed: each write, when it began and how long it took. */
interface Write {
  frame: string | Buffer;
  at: number;
}

/**
 * A subscriber whose writes each cost `writeMs(n)` of the event loop (the n-th, from 0), as a
 * socket write does (microseconds each, but a thousand of them in one fan-out).
 */
function slowSink(writes: Write[], writeMs: (n: number) => number): Sink {
  return {
    buffered: 0,
    send(frame, done) {
      const at = performance.now();
      const cost = writeMs(writes.length);
      while (performance.now() - at < cost) {
        // The write's cost.
      }
      writes.push({ frame, at });
      done();
    },
    close() {},
  };
}

async function hubOnLog(liveBatchMs: number) {
  const db = openDatabase(logFile());
  const store = new SqliteEventStore(db);
  const hub: SubscriptionHub = await createSubscriptionHub({ store, liveBatchMs });
  close = () => {
    hub.close();
    db.close();
  };
  return { store, hub };
}

function subscribe(hub: SubscriptionHub, store: SqliteEventStore, sink: Sink, client: string) {
  const subscription = new Subscription({
    store,
    sink,
    encoder: wsEncoder,
    after: hub.head,
    head: hub.head,
    streams: undefined,
    types: undefined,
    limits: DEFAULT_LIMITS,
  });
  hub.add(subscription, client);
  subscription.start();
  return subscription;
}

it('under a steady stream of commits, a fan-out that takes long is spaced out: it holds the event loop half the time at most', async () => {
  const { store, hub } = await hubOnLog(10);
  // 20 subscribers at 1 ms a write: a fan-out holds the loop ~20 ms, twice the batch window.
  const writes: Write[][] = Array.from({ length: 20 }, () => []);
  for (const [i, sunk] of writes.entries())
    subscribe(
      hub,
      store,
      slowSink(sunk, () => 1),
      `c${i}`,
    );
  // Past each subscriber's `live` frame.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const commits = 60;
  for (let i = 0; i < commits; i++) {
    await store.append(`s${i}`, [started]);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));

  // Every subscriber got every commit once, in order.
  for (const sunk of writes) {
    const positions = sunk
      .filter(({ frame }) => typeof frame !== 'string')
      .flatMap(({ frame }) =>
        (JSON.parse(String(frame)) as { events: { position: number }[] }).events.map(
          (e) => e.position,
        ),
      );
    expect(positions).toEqual(Array.from({ length: commits }, (_, i) => i + 1));
  }
  // Each fan-out: from the first subscriber's write to the last one's end. The next one starts
  // no sooner than the batch window after it began, and its length after it ended (a
  // quarter of a second at most: a machine busy enough can stretch a fan-out that far).
  const fanOuts = (writes[0] ?? [])
    .map((first, n) => ({
      start: first.at,
      end: Math.max(...writes.map((sunk) => (sunk[n]?.at ?? 0) + 1)),
    }))
    .slice(1);
  expect(fanOuts.length).toBeGreaterThan(3);
  for (const [n, { start, end }] of fanOuts.slice(0, -1).entries()) {
    const next = fanOuts[n + 1]?.start ?? 0;
    // Timers may fire up to a millisecond early (they count whole milliseconds), and the hub
    // times a fan-out by its own clock reads, a little inside these stamps, so its length is a
    // little less: two milliseconds of slack in all.
    expect(next - end + 2).toBeGreaterThanOrEqual(Math.min(end - start, 250));
  }
});

it('when the log is quiet, a commit goes out at once, and those within the window follow together', async () => {
  const { store, hub } = await hubOnLog(1000);
  const writes: Write[] = [];
  subscribe(
    hub,
    store,
    slowSink(writes, () => 0),
    'c',
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  const before = writes.length;
  // Heard after the hub (listeners are told in order): what was written by then went at once.
  const writtenWhenHeard: number[] = [];
  store.subscribe(() => writtenWhenHeard.push(writes.length - before));
  await store.append('a', [started]);
  await store.append('b', [started]);
  await store.append('c', [started]);
  expect(writtenWhenHeard).toEqual([1, 1, 1]);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  // The two that followed within the window: one write, both events.
  const later = writes.slice(before + 1).map(({ frame }) => JSON.parse(String(frame)));
  expect(later).toEqual([
    expect.objectContaining({ type: 'events', events: [expect.anything(), expect.anything()] }),
  ]);
});

it('a fan-out that stalled delays the next by a quarter of a second at most', async () => {
  const { store, hub } = await hubOnLog(10);
  const writes: Write[] = [];
  // The first commit's write (after `live`) stalls for 400 ms: a rest as long, 400 ms.
  subscribe(
    hub,
    store,
    slowSink(writes, (n) => (n === 1 ? 400 : 0)),
    'c',
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  await store.append('a', [started]);
  const stallEnded = performance.now();
  await store.append('b', [started]);
  await new Promise((resolve) => setTimeout(resolve, 900));
  const [, , second] = writes;
  expect(writes.map(({ frame }) => JSON.parse(String(frame)).type)).toEqual([
    'live',
    'events',
    'events',
  ]);
  const rest = (second?.at ?? Infinity) - stallEnded;
  // 250 ms after the hub saw the stall end, which was a little before this test did (the
  // append resolved after it), less a timer firing up to a millisecond early: ≥ 240 here.
  expect(rest).toBeGreaterThanOrEqual(240);
  expect(rest).toBeLessThan(350);
});
