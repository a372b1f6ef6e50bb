import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { changes, failures, useWatched, watchedSession } from './support/watcher.js';

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
