import { frontierPlan, type TreeFrontier } from '../../checkpoints/merkle-frontier.js';
import { eventLeafHash } from '../../checkpoints/merkle-hash.js';
import { inKeyOrder, type NodeKey, type StoredNode } from '../../checkpoints/merkle-nodes.js';
import type { NodeColumns } from '../log-backend.js';
import type { PgDatabase } from './database.js';
import type { Queryable } from './reader.js';

/**
 * The log's Merkle tree (src/checkpoints/merkle-nodes.ts), this module's part of the
 * migration: node (level, idx) is the hash of 2^level leaves from leaf idx · 2^level. Level 0
 * is stored too (one row per event): the size is one index seek, a proof never reads events.
 */
export const MERKLE_DDL = `
CREATE TABLE IF NOT EXISTS merkle_nodes (
  level integer NOT NULL,
  idx   bigint NOT NULL,
  hash  bytea NOT NULL,
  PRIMARY KEY (level, idx)
);
`;

/** The nodes of a batch as three arrays, for `unnest` (one statement, whatever their number). */
export function nodeColumns(nodes: readonly StoredNode[]): [number[], number[], Buffer[]] {
  return [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)];
}

/** An import's batch of nodes (NodeColumns) as the three arrays `nodeColumns` makes. */
export function nodeColumnsOf(nodes: NodeColumns): [number[], number[], Buffer[]] {
  const hashes = Buffer.from(nodes.hash.buffer, nodes.hash.byteOffset, nodes.hash.byteLength);
  return [
    Array.from(nodes.level),
    Array.from(nodes.index),
    Array.from(nodes.level, (_, i) => hashes.subarray(i * 32, i * 32 + 32)),
  ];
}

/** Inserts `nodeColumns` given as parameters $a, $b, $c (a CTE of the append's last statement). */
export const insertNodes = (a: number, b: number, c: number) =>
  `INSERT INTO merkle_nodes (level, idx, hash)
   SELECT * FROM unnest($${a}::integer[], $${b}::bigint[], $${c}::bytea[])`;

/** Events hashed per statement when a tree is built from the log (catch-up, rebuild). */
const TREE_PAGE = 10_000;

/** Leaves stored: level 0 holds one per event. */
export async function pgTreeSize(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ size: number }>(
    'SELECT coalesce(max(idx) + 1, 0)::bigint AS size FROM merkle_nodes WHERE level = 0',
  );
  return rows[0]?.size ?? 0;
}

/** Stored nodes in the order asked, in one query; a missing one is an error. */
export async function readPgNodes(db: Queryable, keys: readonly NodeKey[]): Promise<Buffer[]> {
  const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
    `SELECT m.level, m.idx, m.hash FROM unnest($1::integer[], $2::bigint[]) AS k(level, idx)
     JOIN merkle_nodes AS m USING (level, idx)`,
    [keys.map((k) => k.level), keys.map((k) => k.index)],
  );
  return inKeyOrder(keys, rows);
}

async function edge(db: Queryable, size: number): Promise<TreeFrontier> {
  const plan = frontierPlan(size);
  return plan.finish(await readPgNodes(db, plan.keys));
}

/**
 * The edge to append after `head` events, on a transaction that holds the head's lock; the
 * tree is first built up to them if it stops short (a log written before it was kept).
 */
export async function pgFrontierAt(client: Queryable, head: number): Promise<TreeFrontier> {
  const frontier = await edge(client, await pgTreeSize(client));
  while (frontier.size < head) {
    const before = frontier.size;
    await extendPage(client, frontier, head);
    if (frontier.size === before) throw new Error(`the log has no event ${before + 1}`);
  }
  if (frontier.size > head) {
    throw new Error(`the stored tree has ${frontier.size} leaves, the log ${head} events`);
  }
  return frontier;
}

async function extendPage(client: Queryable, frontier: TreeFrontier, head: number): Promise<void> {
  const { rows } = await client.query<{ position: number; hash: string }>(
    'SELECT position, hash FROM events WHERE position > $1 ORDER BY position LIMIT $2',
    [frontier.size, Math.min(TREE_PAGE, head - frontier.size)],
  );
  rows.forEach((row, i) => {
    // Leaf i is position i + 1: a gap would shift every later leaf.
    if (row.position !== frontier.size + i + 1) {
      throw new Error(
        `the events skip from position ${frontier.size + i} to ${row.position}: no tree can be built (sessionlog verify says more)`,
      );
    }
  });
  const nodes = frontier.append(rows.map((row) => eventLeafHash(row.hash)));
  if (nodes.length > 0) await client.query(insertNodes(1, 2, 3), nodeColumns(nodes));
}

/**
 * Builds or extends the log's tree from its events table up to the head, with appends held
 * off (the head's lock) in one transaction: what opening a log written before the tree was
 * kept does, and what `rebuild` and `import` call. One function, so that the tree of a log
 * is only ever made one way. With `client`, runs in the caller's transaction, which must
 * hold the head's lock.
 */
export async function extendPgTree(
  database: PgDatabase,
  client?: Queryable,
): Promise<{ added: number; size: number }> {
  if (client !== undefined) {
    const { rows } = await client.query<{ position: number }>('SELECT position FROM log_head');
    const start = await pgTreeSize(client);
    const frontier = await pgFrontierAt(client, rows[0]?.position ?? 0);
    return { added: frontier.size - start, size: frontier.size };
  }
  const own = await database.pool.connect();
  try {
    await own.query('BEGIN');
    await own.query('SELECT position FROM log_head FOR UPDATE');
    const extended = await extendPgTree(database, own);
    await own.query('COMMIT');
    return extended;
  } catch (error) {
    await own.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    own.release();
  }
}
