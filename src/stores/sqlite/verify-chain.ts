import type { ChainReport } from '../../events/chain-check.js';
import { APPEND_ONLY_TRIGGERS, isAppendOnlyTrigger, type SqliteDatabase } from './database.js';
import type { SegmentsReport } from './verify-segments.js';

/**
 * The chain as the segments checked it (positions run 1, 2, 3, … without a gap, each hash
 * recomputed; it stops at the first break: every later hash depends on it), with the
 * append-only triggers and idempotency keys beyond the end.
 */
export function verifyChain(db: SqliteDatabase, check: SegmentsReport['chain']): ChainReport {
  const present = new Map(
    (
      db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as {
        name: string;
        sql: string;
      }[]
    ).map(({ name, sql }): [string, string] => [name, sql]),
  );
  // A log written before the tree was kept has no tree yet, nor its triggers (verify says so).
  const expected = APPEND_ONLY_TRIGGERS.filter(
    (name) => hasTreeTable(db) || !name.startsWith('merkle_nodes_'),
  );
  const missingTriggers = expected.filter((name) => !present.has(name));
  const alteredTriggers = expected.filter((name) => {
    const sql = present.get(name);
    return sql !== undefined && !isAppendOnlyTrigger(name, sql);
  });
  const triggers = { missingTriggers, alteredTriggers };
  const { events, head, broken } = check;
  if (broken !== undefined) return { events, head, ...triggers, broken };
  const keyed = db.prepare('SELECT max(position) FROM idempotency_keys').pluck().get() as
    | number
    | null;
  return {
    events,
    head,
    ...triggers,
    ...(keyed !== null && keyed > head ? { keysBeyondHead: keyed } : {}),
  };
}

/** Whether the file holds the tree's table (a log written before it was kept does not). */
export function hasTreeTable(db: SqliteDatabase): boolean {
  return (
    db
      .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'merkle_nodes'")
      .pluck()
      .get() === 1
  );
}
