import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type SessionEvent, sessionEventTypes } from '../src/events/schemas.js';
import { parallelNdjson } from '../src/stores/sqlite/ndjson-parallel.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { SqliteEventReader } from '../src/stores/sqlite/reader.js';
import { useLogFile } from './support/temp-dir.js';

const run = promisify(execFile);

async function collect(pages: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<string> {
  const all: Buffer[] = [];
  for await (const page of pages) all.push(page);
  return Buffer.concat(all).toString();
}

describe('the export made by worker threads', () => {
  const logFile = useLogFile();

  it('is byte for byte the export one connection makes, filtered or not', async () => {
    const log = openSessionlog({ db: logFile(), durability: 'normal' });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { session } = await log.commands.start({
        cwd: '/tmp',
        hostname: 'h',
        platform: 'linux',
      });
      ids.push(session.id);
      for (const name of ['a', 'b "quoted"', 'c\u2028'])
        await log.commands.update(session.id, { name });
    }
    await log.close();
    const db = new Database(logFile(), { readonly: true });
    const reader = new SqliteEventReader(db, sessionEventTypes);
    for (const options of [
      { after: 0, upTo: 24 },
      { after: 7, upTo: 22 },
      { after: 0, upTo: 24, types: ['SessionUpdated'] },
      { after: 3, upTo: 24, streams: [ids[1] as string, ids[3] as string] },
    ]) {
      const one = await collect(reader.ndjson(options) ?? []);
      // Ranges of 5 positions over 3 threads: each thread makes several, out of order.
      const threads = await collect(parallelNdjson(logFile(), options, 3, 5));
      expect(threads, JSON.stringify(options)).toBe(one);
      expect(one.length).toBeGreaterThan(0);
    }
    db.close();
  });

  it('is what the built CLI exports of a log long enough for threads, byte for byte', async () => {
    // 45,000 events: more than the 40,000 from which the CLI's threads make the export.
    const log = openSessionlog({ db: logFile(), durability: 'normal' });
    const events: SessionEvent[] = [
      { type: 'SessionStarted', data: { cwd: '/w', hostname: 'h', platform: 'linux' } },
      ...Array.from(
        { length: 99 },
        (_, i): SessionEvent => ({
          type: 'FileChanged',
          data: { change: 'modified', path: `src/${i}.ts`, kind: 'file' },
        }),
      ),
    ];
    for (let i = 0; i < 450; i++) {
      await log.store.append(`session-${i}`, events, { expectedVersion: 'no-stream' });
    }
    await log.close();
    const db = new Database(logFile(), { readonly: true });
    const one = await collect(
      new SqliteEventReader(db, sessionEventTypes).ndjson({ after: 0, upTo: 45_000 }) ?? [],
    );
    db.close();
    const cli = fileURLToPath(new URL('../bin/sessionlog.js', import.meta.url));
    const { stdout } = await run(process.execPath, [cli, 'events', '--db', logFile()], {
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout.split('\n')).toHaveLength(45_001);
    expect(stdout).toBe(one);
  });

  it('fails, naming the thread, when a thread cannot read the log', async () => {
    const pages = parallelNdjson('/nonexistent/log.db', { after: 0, upTo: 30 }, 2, 5);
    await expect(collect(pages)).rejects.toThrow(
      "the export's thread failed: Cannot open database because the directory does not exist",
    );
  });
});
