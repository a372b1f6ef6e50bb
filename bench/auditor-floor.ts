/**
 * The floors the auditor figures are read against (auditor-suite.ts), each the least work any
 * check of its kind does per event, in one thread, measured in a child process beside the
 * commands in the same run: the machine's speed, not the code's. Prints the seconds it took
 * (start-up excluded) on stdout.
 *
 *   node --import tsx bench/auditor-floor.ts chain <log file>
 *   node --import tsx bench/auditor-floor.ts lines <export file>
 *
 * `chain`: every row's content text (assembled by SQLite, as verify reads it) and the chain
 * recomputed over it: verify without the tree, the fold, the snapshots and the second thread.
 * `lines`: every line of an export parsed, its data and meta written canonically and the chain
 * recomputed: import without the schemas, the fold, the tree and any write.
 */
import { createReadStream } from 'node:fs';
import {
  canonicalJson,
  chainHashOf,
  chainHashOfContent,
  GENESIS_HASH,
} from '../src/events/hash.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { HASHED_CONTENT } from '../src/stores/sqlite/verify-segment.js';

const [mode, file] = process.argv.slice(2);
if (file === undefined || (mode !== 'chain' && mode !== 'lines')) {
  throw new Error('usage: auditor-floor.ts chain|lines <file>');
}

const started = performance.now();
const events = mode === 'chain' ? chainFloor(file) : await linesFloor(file);
process.stdout.write(
  `${JSON.stringify({ events, seconds: (performance.now() - started) / 1000 })}\n`,
);

function chainFloor(log: string): number {
  const db = openDatabase(log, { readonly: true });
  try {
    const page = db
      .prepare(
        `SELECT position, hash, ${HASHED_CONTENT} FROM events
         WHERE position > ? ORDER BY position LIMIT 1000`,
      )
      .raw(true);
    let previous = GENESIS_HASH;
    let events = 0;
    for (let after = 0; ; ) {
      const rows = page.all(after) as [number, string, string][];
      for (const [position, hash, content] of rows) {
        if (chainHashOfContent(previous, content) !== hash) {
          throw new Error(`the chain breaks at position ${position}`);
        }
        previous = hash;
        events++;
      }
      const last = rows.at(-1);
      if (last === undefined) return events;
      after = last[0];
    }
  } finally {
    db.close();
  }
}

async function linesFloor(exported: string): Promise<number> {
  let previous = GENESIS_HASH;
  let events = 0;
  let rest = '';
  const take = (line: string) => {
    const event = JSON.parse(line);
    const hash = chainHashOf(previous, event, canonicalJson(event.data), canonicalJson(event.meta));
    if (hash !== event.hash) throw new Error(`the chain breaks at line ${events + 1}`);
    previous = hash;
    events++;
  };
  for await (const chunk of createReadStream(exported, {
    encoding: 'utf8',
    highWaterMark: 1 << 16,
  })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line !== '') take(line);
  }
  if (rest !== '') take(rest);
  return events;
}
