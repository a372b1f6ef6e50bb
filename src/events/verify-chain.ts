import { chainHash, GENESIS_HASH } from './hash.js';
import { APPEND_ONLY_TRIGGERS, type SqliteDatabase } from './sqlite-database.js';
import { decodeRow, type SqliteEventReader } from './sqlite-reader.js';

export interface ChainReport {
  events: number;
  head: number;
  /** The first position whose stored content or hash disagrees with the chain. */
  broken?: { position: number; reason: string };
  /** Append-only triggers that are not in the database. */
  missingTriggers: string[];
}

/**
 * Recomputes the hash chain over the events as stored and checks that positions run 1, 2,
 * 3, … without a gap. Stops at the first break: every later hash depends on it.
 */
export function verifyChain(db: SqliteDatabase, reader: SqliteEventReader): ChainReport {
  const present = new Set(
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[],
  );
  const missingTriggers = APPEND_ONLY_TRIGGERS.filter((name) => !present.has(name));
  let previous = GENESIS_HASH;
  let expected = 1;
  let events = 0;
  for (const row of reader.rows()) {
    if (row.position !== expected) {
      return {
        events,
        head: row.position,
        missingTriggers,
        broken: {
          position: expected,
          reason: `position ${expected} is missing (next is ${row.position})`,
        },
      };
    }
    let recomputed: string;
    try {
      recomputed = chainHash(previous, decodeRow(row));
    } catch (error) {
      return {
        events,
        head: row.position,
        missingTriggers,
        broken: { position: row.position, reason: `unreadable: ${String(error)}` },
      };
    }
    if (recomputed !== row.hash) {
      return {
        events,
        head: row.position,
        missingTriggers,
        broken: {
          position: row.position,
          reason: 'hash does not match the content and the previous hash',
        },
      };
    }
    previous = row.hash;
    expected++;
    events++;
  }
  return { events, head: expected - 1, missingTriggers };
}
