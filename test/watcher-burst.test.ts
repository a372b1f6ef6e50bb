import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import type { RunningServer } from '../src/server.js';
import { type Collector, subscribe } from '../src/testing/subscribe.js';
import {
  changes,
  failures,
  LONG,
  startSession,
  useWatched,
  watchedSession,
} from './support/watcher.js';

const FILES = 5000;
const SUMMARY = /^rate cap \(100 changes\/s\): (\d+) changes not recorded between (\S+) and (\S+)$/;

/** How many changes the summaries among `errors` say were left out. */
const capped = (errors: readonly string[]) =>
  errors.reduce((sum, error) => sum + Number(SUMMARY.exec(error)?.[1] ?? Number.NaN), 0);

describe('a burst of changes in a watched directory', () => {
  const kit = useWatched();

  it('records 5,000 new files as a capped share plus a summary of the rest, and keeps answering', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    const { stream } = await watchedSession(server, cwd);
    const started = Date.now();
    const latencies: number[] = [];
    let bursting = true;
    const probing = (async () => {
      while (bursting) {
        const sent = performance.now();
        expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
        latencies.push(performance.now() - sent);
        await sleep(50);
      }
    })();
    for (let i = 0; i < FILES; i += 250) {
      const batch = Array.from({ length: 250 }, (_, j) =>
        writeFile(join(cwd, `f${i + j}.txt`), ''),
      );
      await Promise.all(batch);
    }
    // Every file is accounted for: recorded, or counted in a summary.
    await stream.waitFor((events) => changes(events).length + capped(failures(events)) === FILES, {
      timeout: 90_000,
    });
    bursting = false;
    await probing;

    const recorded = changes(stream.events);
    const summaries = failures(stream.events);
    const seconds = (Date.parse(stream.events.at(-1)?.time ?? '') - started) / 1000;
    expect(summaries.every((s) => SUMMARY.test(s))).toBe(true);
    // One summary per burst; a busy machine may spread chokidar's reports over two.
    expect(summaries.length).toBeLessThanOrEqual(2);
    // 200 at once (2 s of 100/s), then 100/s: the log grows with time, not with the burst.
    expect(recorded.length).toBeLessThanOrEqual(200 + 100 * seconds + 10);
    expect(recorded.length).toBeGreaterThanOrEqual(200);
    expect(new Set(recorded.map((c) => c.path)).size).toBe(recorded.length);
    expect(Math.max(...latencies)).toBeLessThan(2000);
  }, 120_000);
});

const CAPPED = /^rate cap \((.+)\): (\d+) changes? not recorded between \S+ and \S+$/;

describe('many sessions in the directories of a burst', () => {
  const kit = useWatched();
  // Small caps, a short window and quick summaries keep this fast.
  const caps = { debounceMs: 20, rateWindowMs: 1000, burstQuietMs: 200 };

  /** Starts `count` watched sessions in each of `dirs`; returns a subscription to all. */
  async function crowd(server: RunningServer, dirs: string[], count: number) {
    for (const dir of dirs) {
      for (let i = 0; i < count; i++) {
        const id = await startSession(server, dir);
        expect(await server.watching.ready(id)).toBe(true);
      }
    }
    return subscribe(server.url, { after: 0 });
  }

  /** Writes `files` new files into each of `dirs`; resolves once every change is accounted for. */
  async function burst(stream: Collector, dirs: string[], files: number, sessions: number) {
    const started = Date.now();
    await Promise.all(
      dirs.flatMap((dir) =>
        Array.from({ length: files }, (_, i) => writeFile(join(dir, `f${i}.txt`), '')),
      ),
    );
    const expected = dirs.length * files * sessions;
    const summaries = (events: readonly Envelope[]) =>
      failures(events).map((error) => CAPPED.exec(error));
    const left = (events: readonly Envelope[]) =>
      summaries(events).reduce((sum, m) => sum + Number(m?.[2] ?? Number.NaN), 0);
    await stream.waitFor((events) => changes(events).length + left(events) === expected, LONG);
    const seconds = (Date.parse(stream.events.at(-1)?.time ?? '') - started) / 1000;
    return { recorded: changes(stream.events).length, seconds, caps: summaries(stream.events) };
  }

  it('records at most the directory’s cap for 30 sessions sharing a directory', async () => {
    const server = await kit.start({ watch: { ...caps, directoryRatePerSecond: 20 } });
    const cwd = kit.dir();
    const stream = await crowd(server, [cwd], 30);
    const { recorded, seconds, caps: summaries } = await burst(stream, [cwd], 20, 30);
    // 20 at once (1 s of 20/s), then 20/s: not 30 sessions × 20 files.
    expect(recorded).toBeLessThanOrEqual(20 + 20 * seconds);
    expect(summaries.every((m) => m?.[1] === '20 changes/s per directory')).toBe(true);
    await stream.close();
  });

  it('records at most the server’s cap across several directories', async () => {
    const watch = { ...caps, directoryRatePerSecond: 20, serverRatePerSecond: 15 };
    const server = await kit.start({ watch });
    const dirs = [kit.dir(), kit.dir(), kit.dir()];
    const stream = await crowd(server, dirs, 10);
    const { recorded, seconds, caps: summaries } = await burst(stream, dirs, 10, 10);
    // The three directories could record 60 at once; the server lets 15 through, then 15/s.
    expect(recorded).toBeLessThanOrEqual(15 + 15 * seconds);
    expect(summaries.every((m) => m?.[1]?.includes('15 changes/s per server'))).toBe(true);
    await stream.close();
  });
});
