import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Collector } from '../src/testing/subscribe.js';
import { failures, LONG, settledChanges, useWatched, watchedSession } from './support/watcher.js';

// Fast retries, and a directory checked every 50 ms.
const watch = { retryFirstMs: 50, retryMaxMs: 200, debounceMs: 50, recheckMs: 50 };

const created = (...paths: string[]) =>
  paths.map((path) => ({ change: 'created', path, kind: 'file' }));

/** Writes `names` into `dir`, one after the other. */
function write(dir: string, ...names: string[]): void {
  for (const name of names) writeFileSync(join(dir, name), '');
}

const oneFailure = (stream: Collector) =>
  stream.waitFor((events) => failures(events).length === 1, LONG);

describe('file watching when the session’s directory is replaced', () => {
  const kit = useWatched();

  it('records one WatchFailed when the directory is removed and made again, then every new file', async () => {
    const server = await kit.start({ watch });
    const cwd = kit.dir();
    write(cwd, 'old.txt');
    const { id, stream } = await watchedSession(server, cwd);
    rmSync(cwd, { recursive: true });
    mkdirSync(cwd);
    await oneFailure(stream);
    expect(await server.watching.ready(id)).toBe(true);
    write(cwd, 'a.txt', 'b.txt', 'c.txt');
    const recorded = await settledChanges(stream, cwd);
    expect(recorded.sort((x, y) => x.path.localeCompare(y.path))).toEqual(
      created('a.txt', 'b.txt', 'c.txt'),
    );
    expect(failures(stream.events)).toEqual([`directory replaced: ${cwd} (retrying with backoff)`]);
    await stream.close();
  }, 30_000);

  it('watches the new directory after a move, and no longer the old one', async () => {
    // No periodic check: the directory's own watch tells of the move.
    const server = await kit.start({ watch: { ...watch, recheckMs: 600_000 } });
    const cwd = kit.dir();
    const { id, stream } = await watchedSession(server, cwd);
    renameSync(cwd, `${cwd}.old`);
    mkdirSync(cwd);
    await oneFailure(stream);
    expect(await server.watching.ready(id)).toBe(true);
    write(`${cwd}.old`, 'stale.txt');
    write(cwd, 'a.txt', 'b.txt');
    const recorded = await settledChanges(stream, cwd);
    expect(recorded.sort((x, y) => x.path.localeCompare(y.path))).toEqual(
      created('a.txt', 'b.txt'),
    );
    expect(failures(stream.events)).toEqual([`directory replaced: ${cwd} (retrying with backoff)`]);
    await stream.close();
  }, 30_000);

  it('does not follow the directory replaced by a symlink, and resumes once it is real again', async () => {
    const server = await kit.start({ watch });
    const cwd = kit.dir();
    const elsewhere = kit.dir('elsewhere');
    const { id, stream } = await watchedSession(server, cwd);
    rmSync(cwd, { recursive: true });
    symlinkSync(elsewhere, cwd);
    await oneFailure(stream);
    let resumed = false;
    const ready = server.watching.ready(id).then(() => {
      resumed = true;
    });
    // Retries at 50, 100, 200, 200 ms… each find the link; a watcher that followed it would
    // be up by now and see these.
    await sleep(500);
    write(elsewhere, 'behind.txt');
    write(cwd, 'through.txt');
    expect(resumed).toBe(false);
    rmSync(cwd);
    mkdirSync(cwd);
    await ready;
    expect(await settledChanges(stream, cwd)).toEqual([]);
    expect(failures(stream.events)).toEqual([
      `the directory became a symbolic link: ${cwd} (retrying with backoff)`,
    ]);
    await stream.close();
  }, 30_000);

  it('notices a parent moved away, which leaves no trace in the directory itself', async () => {
    const server = await kit.start({ watch });
    const parent = kit.dir('parent');
    const cwd = join(parent, 'work');
    mkdirSync(cwd);
    const { id, stream } = await watchedSession(server, cwd);
    renameSync(parent, `${parent}.old`);
    mkdirSync(cwd, { recursive: true });
    await oneFailure(stream);
    expect(await server.watching.ready(id)).toBe(true);
    write(join(`${parent}.old`, 'work'), 'stale.txt');
    write(cwd, 'a.txt');
    expect(await settledChanges(stream, cwd)).toEqual(created('a.txt'));
    expect(failures(stream.events)).toEqual([`directory replaced: ${cwd} (retrying with backoff)`]);
    await stream.close();
  }, 30_000);
});
