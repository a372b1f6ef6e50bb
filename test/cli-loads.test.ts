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
const watch = fileURLToPath(new URL('./support/watch-loads.mjs', import.meta.url));

/** The packages and own modules the built CLI loads, as the watch says them on standard error. */
async function modulesLoaded(...args: string[]): Promise<string[]> {
  const { stderr } = await run(process.execPath, ['--import', watch, cli, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stderr.split('\n').flatMap((line) => /^(?:loaded|required) (.*)$/.exec(line)?.[1] ?? []);
}

describeEachBackend('what a command that only reads the log loads', (db, backend) => {
  it('verify, events and sessions read the log without the schemas that validate appends, nor the other commands', async () => {
    const log =
      backend.name === 'SQLite'
        ? openSessionlog({ db: db(), durability: 'normal' })
        : await openPgSessionlog({ url: db(), durability: 'normal' });
    try {
      await writeTwelveEvents(log.commands);
    } finally {
      await log.close();
    }
    // zod took a third of a short command's start (src/events/event-types.ts); the other
    // commands' modules (and what they import) another ~13 ms (src/cli/main.ts).
    const commands = ['serve', 'events', 'sessions', 'verify', 'rebuild', 'import', 'checkpoint'];
    for (const command of ['verify', 'events', 'sessions']) {
      const loaded = await modulesLoaded(command, '--db', db());
      expect(loaded).not.toContain('zod');
      // pino is loaded when a line is first logged (src/observe/logger.ts): ~17 ms.
      expect(loaded).not.toContain('pino');
      // Nor verify's checks, unless it verifies (each backend loads them when it runs).
      if (command !== 'verify')
        expect(loaded.filter((name) => /^dist\/stores\/\w+\/verify\.js$/.test(name))).toEqual([]);
      const others = [...commands, 'audit'].filter((other) => other !== command);
      expect(
        loaded.filter((name) => others.some((other) => name === `dist/cli/${other}.js`)),
      ).toEqual([]);
    }
    // The watch itself: a command that checks events against them loads them.
    const target = join(tmpdir(), `sessionlog-loads-${randomUUID()}.db`);
    try {
      expect(await modulesLoaded('import', '--db', target, '--from', '/dev/null')).toContain('zod');
    } finally {
      rmSync(target, { force: true });
    }
  });
});
