import { join } from 'node:path';
import { describe, it } from 'vitest';
import { crashUnderLoad } from './support/crash-under-load.js';
import { useTempDir } from './support/temp-dir.js';

// SESSIONLOG_LONG=1 npx vitest run test/crash-under-load.test.ts: 20 kills instead of 3.
const LONG = process.env.SESSIONLOG_LONG === '1';
const KILLS = LONG ? 20 : 3;

describe('a server SIGKILLed at random moments under concurrent HTTP writes and WebSocket readers', () => {
  const tempDir = useTempDir();

  it(
    `keeps every acknowledged write once, and every resuming reader sees every position once (${KILLS} kills${LONG ? ', long mode' : ''})`,
    async () => {
      const dir = tempDir();
      const db = join(dir, 'log.db');
      await crashUnderLoad({ db, cwd: dir, nodes: 1, kills: KILLS, label: 'one SQLite node' });
    },
    LONG ? 600_000 : 90_000,
  );
});
