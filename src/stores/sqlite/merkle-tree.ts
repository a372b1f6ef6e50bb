import { frontierPlan, type TreeFrontier } from '../../checkpoints/merkle-frontier.js';
import { eventLeafHash } from '../../checkpoints/merkle-hash.js';
import { inKeyOrder, type NodeKey, type StoredNode } from '../../checkpoints/merkle-nodes.js';
import type { SqliteDatabase, Statement } from './database.js';

/**
 * The log's Merkle tree (src/checkpoints/merkle-nodes.ts): node (level, idx) is the hash of
 * 2^level leaves from leaf idx · 2^level. Level 0 is stored too (one row per event): the
 * tree's size is then one seek, and a proof never reads the events table.
 *
 * Keyed by `ends`, the number of leaves the node is complete at ((idx + 1) · 2^level), then its
 * level: a commit's leaves and every node they complete are then neighbours, a page or two of
 * the table, where keyed by (level, idx) they were spread over one page per level (15 of a
 * 32-append commit's 54 pages in the write-ahead log). Logs made before (schema version 2)
 * are moved to this layout when a writer opens them (`migrateTreeLayout`); read-only, they are
 * read as they are.
 */
export const MERKLE_DDL = `
CREATE TABLE IF NOT EXISTS merkle_nodes (
  ends  INTEGER NOT NULL,
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB NOT NULL,
  PRIMARY KEY (ends, level)
) STRICT, WITHOUT ROWID;
`;

/** Whether the tree's table is keyed by (ends, level), or by (level, idx) as before. */
function keyedByEnds(db: SqliteDatabase): boolean {
  return (
    db
      .prepare("SELECT count(*) FROM pragma_table_info('merkle_nodes') WHERE name = 'ends'")
      .pluck()
      .get() === 1
  );
}

/**
 * Moves a tree kept by (level, idx) to MERKLE_DDL's layout, in the caller's transaction: the
 * append-only triggers are dropped with the old table and made again by the caller's schema.
 * Returns whether there was anything to move.
 */
export function migrateTreeLayout(db: SqliteDatabase, triggers: string): boolean {
  const present =
    db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'merkle_nodes'").pluck().get() ===
    1;
  if (!present || keyedByEnds(db)) return false;
  db.exec(`
    DROP TRIGGER IF EXISTS merkle_nodes_no_update;
    DROP TRIGGER IF EXISTS merkle_nodes_no_delete;
    ALTER TABLE merkle_nodes RENAME TO merkle_nodes_by_level;
    ${MERKLE_DDL}
    INSERT INTO merkle_nodes (ends, level, idx, hash)
      SELECT (idx + 1) << level, level, idx, hash FROM merkle_nodes_by_level
      ORDER BY (idx + 1) << level, level;
    DROP TABLE merkle_nodes_by_level;
    ${triggers}
  `);
  return true;
}

/** Events hashed per transaction when a tree is built from the log (catch-up, rebuild). */
const TREE_PAGE = 10_000;

/** The stored tree, read and written on one connection. */
export class SqliteTree {
  readonly #db: SqliteDatabase;
  readonly #sql: { size: Statement; read: Statement; page: Statement };
  /** Prepared at the first write: a read-only connection to a log of the old layout has none. */
  #insert: Statement | undefined;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    // A log of schema version 2 opened read-only (verify, an export) keeps its old layout.
    const byEnds = keyedByEnds(db);
    this.#sql = {
      size: db
        .prepare(
          byEnds
            ? 'SELECT coalesce(max(ends), 0) FROM merkle_nodes'
            : 'SELECT coalesce(max(idx) + 1, 0) FROM merkle_nodes WHERE level = 0',
        )
        .pluck(),
      // The keys as a JSON list of [level, idx], so any number of them is one query.
      read: db.prepare(
        `SELECT m.level, m.idx, m.hash FROM json_each(?) AS k JOIN merkle_nodes AS m
         ON ${
           byEnds
             ? `m.ends = (json_extract(k.value, '$[1]') + 1) << json_extract(k.value, '$[0]')
               AND m.level = json_extract(k.value, '$[0]')`
             : `m.level = json_extract(k.value, '$[0]') AND m.idx = json_extract(k.value, '$[1]')`
         }`,
      ),
      page: db.prepare(
        'SELECT position, hash FROM events WHERE position > ? ORDER BY position LIMIT ?',
      ),
    };
  }

  /** Leaves stored: level 0 holds one per event. */
  size(): number {
    return this.#sql.size.get() as number;
  }

  readNodes = (keys: readonly NodeKey[]): Buffer[] => {
    const rows = this.#sql.read.all(JSON.stringify(keys.map((k) => [k.level, k.index]))) as {
      level: number;
      idx: number;
      hash: Buffer;
    }[];
    return inKeyOrder(keys, rows);
  };

  write(nodes: readonly StoredNode[]): void {
    this.#insert ??= this.#db.prepare(
      'INSERT INTO merkle_nodes (ends, level, idx, hash) VALUES (?, ?, ?, ?)',
    );
    for (const { level, index, hash } of nodes) {
      this.#insert.run((index + 1) * 2 ** level, level, index, hash);
    }
  }

  /**
   * The edge to append after `head` events, the tree first built up to them if it stops
   * short (a log written before the tree was kept). Runs in the caller's transaction.
   */
  frontierAt(head: number): TreeFrontier {
    let frontier = this.#edge(this.size());
    while (frontier.size < head) {
      const before = frontier.size;
      frontier = this.#extendPage(frontier, head);
      if (frontier.size === before) throw new Error(`the log has no event ${before + 1}`);
    }
    if (frontier.size > head) {
      throw new Error(`the stored tree has ${frontier.size} leaves, the log ${head} events`);
    }
    return frontier;
  }

  /** The tree up to the events' head, a page per transaction; returns the leaves added. */
  extend(): { added: number; size: number } {
    const start = this.size();
    let size = start;
    for (;;) {
      const next = this.#db
        .transaction(() => {
          // Read again in the write transaction: another connection may have grown it.
          const frontier = this.#extendPage(this.#edge(this.size()), Number.MAX_SAFE_INTEGER);
          return frontier.size;
        })
        .immediate();
      if (next === size) break;
      size = next;
    }
    return { added: size - start, size };
  }

  #edge(size: number): TreeFrontier {
    const plan = frontierPlan(size);
    return plan.finish(this.readNodes(plan.keys));
  }

  /** Appends the next page of events (up to `head`) to `frontier` and stores what it made. */
  #extendPage(frontier: TreeFrontier, head: number): TreeFrontier {
    const limit = Math.min(TREE_PAGE, head - frontier.size);
    const rows = this.#sql.page.all(frontier.size, limit) as { position: number; hash: string }[];
    rows.forEach((row, i) => {
      // Leaf i is position i + 1: a gap would shift every later leaf.
      if (row.position !== frontier.size + i + 1) {
        throw new Error(
          `the events skip from position ${frontier.size + i} to ${row.position}: no tree can be built (sessionlog verify says more)`,
        );
      }
    });
    this.write(frontier.append(rows.map((row) => eventLeafHash(row.hash))));
    return frontier;
  }
}

/**
 * Builds or extends a log's tree from its events table, up to the head: what opening a log
 * written before the tree was kept does, and what `rebuild` and `import` call. One function,
 * so that the tree of a log is only ever made one way.
 */
export function extendSqliteTree(db: SqliteDatabase): { added: number; size: number } {
  return new SqliteTree(db).extend();
}
