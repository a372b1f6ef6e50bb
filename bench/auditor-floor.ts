/**
 * The floors the auditor figures are read against (auditor-suite.ts), each the least work any
 * check of its kind does per event, in one thread, measured in a child process beside the
 * commands in the same run: the machine's speed, not the code's. Prints the seconds it took
 * (start-up excluded) on stdout.
 *
 *   node --import tsx bench/auditor-floor.ts chain <log file>
 *   node --import tsx bench/auditor-floor.ts lines <export file>
 *   node --import tsx bench/auditor-floor.ts writes <log file>
 *   node --import tsx bench/auditor-floor.ts tree <log file>
 *
 * `chain`: every row's content text (assembled by SQLite, as verify reads it) and the chain
 * recomputed over it: verify without the tree, the fold, the snapshots and the second thread.
 * `lines`: every line of an export parsed, its data and meta written canonically and the chain
 * recomputed: import without the schemas, the fold, the tree and any write.
 * `writes`: the log's events written into a new log by import's own writer (eventWriter), as
 * import loads them (no journal, no fsync, the indexes built after, a transaction per 16,000
 * events), only the writes timed: import without the reading, the check and the tree.
 * `tree`: the Merkle tree's root over the log's event hashes (FreshRoot, as verify computes
 * it), the hashes read first and only the tree timed: the work verify adds to the chain's.
 */
import { createReadStream, rmSync } from 'node:fs';
import { FreshRoot } from '../src/checkpoints/fresh-root.js';
import type { EventRow } from '../src/events/event-row.js';
import {
  canonicalJson,
  chainHashOf,
  chainHashOfContent,
  GENESIS_HASH,
} from '../src/events/hash.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { eventWriter } from '../src/stores/sqlite/import-rows.js';
import { HASHED_CONTENT } from '../src/stores/sqlite/verify-segment.js';
import { columnsOf } from './event-columns.js';

const [mode, file] = process.argv.slice(2);
const MODES = ['chain', 'lines', 'writes', 'tree'];
if (file === undefined || mode === undefined || !MODES.includes(mode)) {
  throw new Error(`usage: auditor-floor.ts ${MODES.join('|')} <file>`);
}

const started = performance.now();
const { events, seconds } =
  mode === 'writes'
    ? writesFloor(file)
    : mode === 'tree'
      ? treeFloor(file)
      : {
          events: mode === 'chain' ? chainFloor(file) : await linesFloor(file),
          seconds: (performance.now() - started) / 1000,
        };
process.stdout.write(`${JSON.stringify({ events, seconds })}\n`);

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

function writesFloor(log: string): { events: number; seconds: number } {
  const source = openDatabase(log, { readonly: true });
  const target = `${log}.writes-floor-${process.pid}`;
  const db = openDatabase(target, { durability: 'normal' });
  try {
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    const indexes = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL",
      )
      .pluck()
      .all() as string[];
    for (const name of indexes) db.exec(`DROP INDEX ${name}`);
    const write = eventWriter(db);
    const page = source.prepare(
      `SELECT position, id, stream, version, type, time, data, meta, hash FROM events
       WHERE position > ? ORDER BY position LIMIT 2000`,
    );
    let events = 0;
    let ms = 0;
    for (let after = 0; ; ) {
      const rows = page.all(after) as EventRow[];
      const last = rows.at(-1);
      if (last === undefined) break;
      const batch = columnsOf(rows);
      const started = performance.now();
      if (events % 16_000 === 0) db.exec('BEGIN');
      write(batch);
      events += rows.length;
      if (events % 16_000 === 0) db.exec('COMMIT');
      ms += performance.now() - started;
      after = last.position;
    }
    if (db.inTransaction) db.exec('COMMIT');
    return { events, seconds: ms / 1000 };
  } finally {
    db.close();
    source.close();
    for (const suffix of ['', '-wal', '-shm', '-journal'])
      rmSync(`${target}${suffix}`, { force: true });
  }
}

function treeFloor(log: string): { events: number; seconds: number } {
  const db = openDatabase(log, { readonly: true });
  let hashes: string[];
  try {
    hashes = db.prepare('SELECT hash FROM events ORDER BY position').pluck().all() as string[];
  } finally {
    db.close();
  }
  const started = performance.now();
  const tree = new FreshRoot();
  for (let at = 0; at < hashes.length; at += 1000) tree.add(hashes.slice(at, at + 1000));
  tree.root();
  return { events: tree.size, seconds: (performance.now() - started) / 1000 };
}
