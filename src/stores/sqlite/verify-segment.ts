import { type EdgeNode, FreshRoot } from '../../checkpoints/fresh-root.js';
import { ChainCheck } from '../../events/chain-check.js';
import { GENESIS_HASH } from '../../events/hash.js';
import type { SqliteDatabase } from './database.js';
import type { EventRow } from './reader.js';

/**
 * Leaves per block of a segment's tree: a segment starts at a multiple of it, so each full
 * block is a node of the whole tree (2^12 leaves: a few hundred nodes per million events, and
 * segments cut within 2,048 positions of an even share).
 */
export const TREE_BLOCK = 2 ** 12;

/**
 * Rows per read: one statement per page, no cursor left open between them. A page dies young:
 * pages of 10,000 rows (3 MB of content text) outlived V8's young generation and cost the
 * read 60 % more per row in garbage collection.
 */
const PAGE = 1000;

/**
 * What else reads a segment's rows as it checks them, in the same read (its fold), handed
 * over in position order: `columns` more of each row (the row as read, `columns` from `at` on),
 * or, beside the content text the chain check reads (HASHED_CONTENT), only
 * `columnsBesideContent`, the rest being in that text.
 */
export interface RowsFolded {
  readonly columns: string;
  readonly columnsBesideContent: string;
  add(position: number, row: readonly unknown[], at: number): void;
  addWithContent(position: number, content: string, row: readonly unknown[], at: number): void;
}

/** A run of the log, positions (after, upTo]; `after` is a multiple of `block`. */
export interface Segment {
  after: number;
  upTo: number;
  /** Leaves per block of its tree: TREE_BLOCK (tests take a small one). */
  block: number;
}

/** What one segment holds: its part of the chain, and its part of the tree. */
export interface SegmentReport extends Segment {
  chain: { events: number; head: number; broken?: { position: number; reason: string } };
  /** Rows read (the tree's leaves): upTo − after unless positions are missing. */
  leaves: number;
  /** The segment's complete subtrees, left to right, or why a hash cannot be a leaf. */
  tree: { edge: EdgeNode[] } | { unreadable: string };
}

/*
 * The content text `chainHashOf` hashes, assembled by SQLite so that two strings per event
 * cross into JavaScript, not eight (json_quote escapes as JSON.stringify does:
 * test/verify-segments.test.ts holds the two to each other). A row whose text does not hash
 * to its stored hash this way is hashed again from its columns, as `chainHashOf` does, before
 * it is called broken: this is a faster way to the same verdict, never another verdict. A
 * text column that is not text (a row written behind sessionlog's back) gets NULL: json_quote
 * refuses a BLOB.
 */
export const HASHED_CONTENT = `CASE WHEN typeof(id) = 'text' AND typeof(stream) = 'text' AND typeof(type) = 'text'
  AND typeof(time) = 'text'
  THEN '{"data":' || data || ',"id":' || json_quote(id) || ',"meta":' || meta
    || ',"position":' || position || ',"stream":' || json_quote(stream)
    || ',"time":' || json_quote(time) || ',"type":' || json_quote(type)
    || ',"version":' || version || '}' END`;

/**
 * Checks the chain over a segment and computes its part of the tree, in one read of its rows
 * (the tree goes on past a break in the chain: it reads the hashes as stored). Run in a
 * read transaction that sees at least `upTo`: rows up to the head never change, so segments
 * read in different threads (each with its own connection) see the same log.
 */
export function checkSegment(
  db: SqliteDatabase,
  segment: Segment,
  reached: (position: number) => void = () => {},
  folding?: RowsFolded,
): SegmentReport {
  const { after, upTo, block } = segment;
  const previous =
    after === 0
      ? GENESIS_HASH
      : ((db.prepare('SELECT hash FROM events WHERE position = ?').pluck().get(after) as
          | string
          | undefined) ?? '(none: the position is missing)');
  const check = new ChainCheck({ position: after, hash: previous });
  const whole = db.prepare(
    'SELECT position, id, stream, version, type, time, data, meta, hash FROM events WHERE position = ?',
  );
  const also = folding === undefined ? '' : `, ${folding.columns}`;
  const besideContent = folding === undefined ? '' : `, ${folding.columnsBesideContent}`;
  const withContent = db
    .prepare(
      `SELECT position, hash, ${HASHED_CONTENT}${besideContent} FROM events
       WHERE position > ? AND position <= ? ORDER BY position LIMIT ${PAGE}`,
    )
    .raw(true);
  // The fold's columns of a row that has no content text (a column that is not text).
  const foldedRow =
    folding === undefined
      ? undefined
      : db.prepare(`SELECT ${folding.columns} FROM events WHERE position = ?`).raw(true);
  const hashesOnly = db
    .prepare(
      `SELECT position, hash, NULL${also} FROM events
       WHERE position > ? AND position <= ? ORDER BY position LIMIT ${PAGE}`,
    )
    .raw(true);
  const blocks = new Blocks(block);
  let leaves = 0;
  let unreadable: string | undefined;
  for (let from = after; ; ) {
    const chaining = check.broken === undefined;
    const page = (chaining ? withContent : hashesOnly).all(from, upTo) as [
      number,
      string,
      string | null,
      ...unknown[],
    ][];
    for (const row of page) {
      const [position, hash, content] = row;
      // A hash the chain recomputed is 64 lowercase hex digits; any other is looked at.
      const intact =
        check.broken === undefined &&
        ((content !== null && check.acceptContent(position, hash, content)) ||
          check.next(whole.get(position) as EventRow));
      if (unreadable === undefined) {
        try {
          blocks.add(hash, intact);
        } catch (error) {
          unreadable = (error as Error).message;
        }
      }
      leaves++;
      if (folding === undefined) continue;
      if (!chaining) folding.add(position, row, 3);
      else if (content !== null) folding.addWithContent(position, content, row, 3);
      else folding.add(position, foldedRow?.get(position) as unknown[], 0);
    }
    const last = page.at(-1);
    if (last === undefined) break;
    from = last[0];
    reached(from);
  }
  // Positions missing at the segment's end: the chain breaks at the first, as it would
  // reading on into the next segment.
  if (check.broken === undefined && check.head < upTo) {
    const next = db
      .prepare('SELECT min(position) FROM events WHERE position > ?')
      .pluck()
      .get(check.head) as number;
    check.inOrder(next);
  }
  const { events, head, broken } = check;
  return {
    after,
    upTo,
    block,
    chain: { events, head, ...(broken === undefined ? {} : { broken }) },
    leaves,
    tree: unreadable === undefined ? { edge: blocks.edge() } : { unreadable },
  };
}

/** A segment's leaves in blocks: each full block one node of the whole tree. */
class Blocks {
  readonly #size: number;
  readonly #done: EdgeNode[] = [];
  #block = new FreshRoot();

  constructor(size: number) {
    this.#size = size;
  }

  add(hash: string, checked: boolean): void {
    if (checked) this.#block.addChecked(hash);
    else this.#block.add([hash]);
    if (this.#block.size === this.#size) {
      this.#done.push(...this.#block.edge());
      this.#block = new FreshRoot();
    }
  }

  edge(): EdgeNode[] {
    return [...this.#done, ...this.#block.edge()];
  }
}
