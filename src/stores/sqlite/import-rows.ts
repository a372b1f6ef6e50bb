import { ImportRefused } from '../../events/import-check.js';
import { EVENT_FIELDS } from '../import-columns.js';
import type { EventColumns, NodeColumns } from '../log-backend.js';
import type { SqliteDatabase } from './database.js';

/**
 * Events per INSERT: a statement run per event cost a fifth more (each run is a call into
 * SQLite, a step, a reset, and AUTOINCREMENT's write of sqlite_sequence), and 32 rows keep
 * the statement's 288 parameters far below SQLite's limit.
 */
const EVENTS_PER_INSERT = 32;

/**
 * Writes an import's checked events into `events` as they come, column by column, many rows
 * per statement, with no object per event. A duplicate id, which the check cannot see
 * without holding every id, is refused by the table's UNIQUE constraint: the statement that
 * hit it is undone, and its rows are tried one by one to name the line, as a row-per-statement
 * load would have.
 */
export function eventWriter(db: SqliteDatabase): (events: EventColumns) => void {
  const insert = (rows: number) =>
    db.prepare(
      `INSERT INTO events (${EVENT_FIELDS.join(', ')}) VALUES ${Array(rows)
        .fill(`(${EVENT_FIELDS.map(() => '?').join(', ')})`)
        .join(', ')}`,
    );
  const many = insert(EVENTS_PER_INSERT);
  const one = insert(1);
  const args: unknown[] = new Array(EVENT_FIELDS.length * EVENTS_PER_INSERT);
  const fill = (events: EventColumns, i: number, at: unknown[], offset: number) => {
    at[offset] = events.position[i];
    at[offset + 1] = events.id[i];
    at[offset + 2] = events.stream[i];
    at[offset + 3] = events.version[i];
    at[offset + 4] = events.type[i];
    at[offset + 5] = events.time[i];
    at[offset + 6] = events.data[i];
    at[offset + 7] = events.meta[i];
    at[offset + 8] = events.hash[i];
  };
  const single: unknown[] = new Array(EVENT_FIELDS.length);
  const writeOne = (events: EventColumns, i: number) => {
    fill(events, i, single, 0);
    try {
      one.run(single);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const [line, position, id] = [events.line[i], events.position[i], events.id[i]];
        throw new ImportRefused(line, position, `id ${id} appears on an earlier line`);
      }
      throw error;
    }
  };
  return (events) => {
    const count = events.id.length;
    let i = 0;
    for (; i + EVENTS_PER_INSERT <= count; i += EVENTS_PER_INSERT) {
      for (let k = 0; k < EVENTS_PER_INSERT; k++)
        fill(events, i + k, args, k * EVENT_FIELDS.length);
      try {
        many.run(args);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
        for (let k = 0; k < EVENTS_PER_INSERT; k++) writeOne(events, i + k);
      }
    }
    for (; i < count; i++) writeOne(events, i);
  };
}

/**
 * Writes a batch's tree nodes into `merkle_nodes` (MERKLE_DDL) in one statement that counts
 * them out in the order they were made (NodeColumns: a leaf, then the parents it completes)
 * and cuts their hashes out of one blob, instead of a row of three parameters and a Buffer
 * object per node (2.2 million of them on a log of 1.1 million events). That order is the
 * table's key, (ends, level): every row goes at the end of the B-tree. The node after (ends,
 * level) is its parent (ends, level + 1) when 2^(level + 1) divides ends, else the next leaf:
 * the order fixes every node's level and index, so only the first node's are read.
 */
export function nodeWriter(db: SqliteDatabase): (nodes: NodeColumns) => void {
  const insert = db.prepare(`WITH RECURSIVE k(i, ends, level) AS (
      SELECT 0, @firstLeaf + 1, 0
      UNION ALL
      SELECT i + 1,
        CASE WHEN ends & ((2 << level) - 1) = 0 THEN ends ELSE ends + 1 END,
        CASE WHEN ends & ((2 << level) - 1) = 0 THEN level + 1 ELSE 0 END
      FROM k WHERE i + 1 < @count)
    INSERT INTO merkle_nodes (ends, level, idx, hash)
    SELECT ends, level, (ends >> level) - 1, substr(@hashes, i * 32 + 1, 32) FROM k`);
  return ({ level, index, hash }) => {
    if (level.length === 0) return;
    if (level[0] !== 0) throw new Error("an import's batch of tree nodes must begin at a leaf");
    insert.run({
      firstLeaf: index[0] as number,
      count: level.length,
      hashes: Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength),
    });
  };
}
