import { describe, expect, it } from 'vitest';
import { crashUnderLoad } from './support/crash-under-load.js';
import { pgUnavailable, usePgSchemas } from './support/postgres.js';
import { useTempDir } from './support/temp-dir.js';

// The crash-under-load test of one SQLite node (crash-under-load.test.ts) on two serve nodes
// of one PostgreSQL log: writers and readers use either node and move to the other when theirs
// dies; the nodes are SIGKILLed in turn. SESSIONLOG_LONG=1 for 20 kills.
const LONG = process.env.SESSIONLOG_LONG === '1';
const KILLS = LONG ? 20 : 3;

describe.skipIf(pgUnavailable !== undefined)(
  `two PostgreSQL nodes SIGKILLed in turn under concurrent HTTP writes and WebSocket readers${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`,
  () => {
    const tempDir = useTempDir();
    const schemas = usePgSchemas();

    it(
      `keeps every acknowledged write once, and every resuming reader sees every position once (${KILLS} kills${LONG ? ', long mode' : ''})`,
      async () => {
        const { heads, finalHead } = await crashUnderLoad({
          db: schemas(),
          cwd: tempDir(),
          nodes: 2,
          kills: KILLS,
          label: 'two PostgreSQL nodes',
        });
        // The node that stayed up took writes after the last restart too.
        expect(finalHead).toBeGreaterThan(heads.at(-1) ?? 0);
      },
      LONG ? 600_000 : 120_000,
    );
  },
);
