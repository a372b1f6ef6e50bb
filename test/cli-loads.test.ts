import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { openPgSessionlog } from '../src/stores/postgres/open-postgres.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { describeEachBackend } from './support/backends.js';
import { writeTwelveEvents } from './support/twelve-events.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../bin/sessionlog.js', import.meta.url));
const watch = fileURLToPath(new URL('./support/watch-zod.mjs', import.meta.url));

/** The built CLI, with every module of zod it resolves said on standard error. */
async function zodLoads(...args: string[]): Promise<number> {
  const { stderr } = await run(process.execPath, ['--import', watch, cli, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stderr.split('\n').filter((line) => line === 'loaded zod').length;
}

describeEachBackend('what a command that only reads the log loads', (db, backend) => {
  it('verify, events and sessions read the log without the schemas that validate appends', async () => {
    const log =
      backend.name === 'SQLite'
        ? openSessionlog({ db: db(), durability: 'normal' })
        : await openPgSessionlog({ url: db(), durability: 'normal' });
    try {
      await writeTwelveEvents(log.commands);
    } finally {
      await log.close();
    }
    // zod took a third of a short command's start (src/events/event-types.ts).
    expect(await zodLoads('verify', '--db', db())).toBe(0);
    expect(await zodLoads('events', '--db', db())).toBe(0);
    expect(await zodLoads('sessions', '--db', db())).toBe(0);
    // The watch itself: a command that checks events against them loads them.
    const target = join(tmpdir(), `sessionlog-loads-${randomUUID()}.db`);
    try {
      expect(await zodLoads('import', '--db', target, '--from', '/dev/null')).toBeGreaterThan(0);
    } finally {
      rmSync(target, { force: true });
    }
  });
});
