import type { LogTree } from '../checkpoints/log-tree.js';
import type { AnyEvent, Envelope } from '../events/envelope.js';
import type { OnCommit } from '../events/group-commit.js';
import type { Durability, ReadOptions } from '../events/store.js';
import type { Logger } from '../observe/logger.js';
import type { SessionState, SessionStatus } from '../sessions/session.js';
import type { Sessionlog } from '../sessions/sessionlog.js';
import type { WatchLeases } from '../watcher/watch-leases.js';
import type { PgLeaseOptions } from './postgres/watch-leases.js';

/** Where verify writes its report. */
export interface ReportOutput {
  log(line: string): void;
  error(line: string): void;
  /** Where a long check says how far it got: `done` events of `total`. */
  reached?(done: number, total: number, label?: string): void;
}

/** An event's position and its chain hash: all a check of the Merkle tree reads of it. */
export interface EventHash {
  position: number;
  hash: string;
}

/**
 * A check `verify` makes besides its own, on the log it opened (`verify --checkpoint`): it
 * reads the hashes of the events at positions 1..`upTo`, and its lines come before verify's
 * conclusion.
 */
export interface LogCheck {
  readonly upTo: number;
  /**
   * `hashes`: the log's events from position 1 up to `upTo` (fewer when the log is shorter),
   * in position order, in pages. Reads them all; returns the positions found bad (0: a
   * failure at no position).
   */
  check(
    logId: string,
    hashes: AsyncIterable<readonly EventHash[]>,
    out: ReportOutput,
  ): Promise<number[]>;
}

/** What serving a log needs of its backend. */
export interface ServeOptions {
  durability: Durability;
  /** PostgreSQL only: file-watching leases between nodes, and how often the tail polls. */
  postgres?: { leases?: PgLeaseOptions; pollMs?: number; applicationName?: string };
  /** Told of each group commit (metrics). */
  onCommit?: OnCommit;
  /** Where the log's background failures are told (default: warnings on stderr). */
  logger?: Logger;
}

/** A log opened to serve it, and what file watching needs to know of where it lives. */
export interface ServedLog {
  log: Sessionlog;
  /**
   * A log file: its own files, which no watched session may record. Leases: several nodes
   * serve the log, and one watches each session.
   */
  watch: { logFile?: string; leases?: WatchLeases };
  /** The log's Merkle tree, kept with its events: checkpoints and proofs read it. */
  tree: LogTree;
  /** PostgreSQL only: what this node's tail has delivered, and its reconnects (metrics). */
  pgTail?: () => { delivered: number; reconnects: number };
}

/**
 * Where a log's checkpoint signing key is when no `--signing-key` names its file: beside a
 * log file; made at start for a log in memory (it lives as long as the log); none on
 * PostgreSQL, whose nodes must all sign with one key, which no node can make alone.
 */
export type DefaultSigningKey = { file: string } | 'made-at-start' | 'none';

/** A log's stored tree, opened read-only (`checkpoint --db`). */
export interface OpenedTree {
  logId: string;
  tree: LogTree;
  close(): Promise<void>;
}

/** The log's events, read without creating, migrating or locking anything. */
export interface LogReader {
  read(options: ReadOptions): Promise<Envelope<AnyEvent>[]>;
  /**
   * The events of `read` (no limit) as NDJSON, exactly as `ndjsonLines` writes them, a page
   * of lines per chunk, made from the stored text without decoding it.
   */
  ndjson(options: Omit<ReadOptions, 'limit'>): AsyncIterable<Buffer | string>;
  head(): Promise<number>;
  close(): Promise<void>;
}

/** What `rebuild` did to one projection. */
export interface RebuildReport {
  name: string;
  events: number;
  /** SQLite only: the rows and the snapshots written. */
  rows?: number;
  snapshots?: number;
  ms: number;
  /** What was done, when it is not the projection's "rebuilt …" (the tree: extended, checked). */
  summary?: string;
}

/**
 * Checked events of an import as columns, one array per field (one structured clone of a few
 * arrays costs far less than one of an object per event, and a store binds them as they are):
 * event i is the row `position[i]`, `id[i]`, …, stored as is (data and meta as their canonical
 * JSON text), from line `line[i]` of the export.
 */
export interface EventColumns {
  position: Float64Array;
  version: Float64Array;
  line: Float64Array;
  id: string[];
  stream: string[];
  type: string[];
  time: string[];
  data: string[];
  meta: string[];
  hash: string[];
}

/**
 * The Merkle tree's nodes a batch of events completes, as columns: node i is (level[i],
 * index[i]), its hash bytes 32i..32i+32; in the order they are made: the leaf of each event,
 * then the parents that leaf completes, lowest first (SQLite's key, (ends, level), in order).
 */
export interface NodeColumns {
  level: Uint8Array;
  index: Float64Array;
  hash: Uint8Array;
}

/** A snapshot of the sessions projection, made beside an import's check, at `position`. */
export interface ImportSnapshot {
  position: number;
  /** The hash of the event at `position`. */
  hash: string;
  full: boolean;
  rowCount: number;
  sinceFull: number;
  /** The rows as deflated JSON, as SnapshotStore keeps them. */
  data: Uint8Array;
}

/**
 * The sessions projection as an import's check folds it (for a backend whose `importFold`
 * says so): the snapshots that fell due with a batch's events, and after the last batch the
 * folded rows by key (with the position that last changed each).
 */
export interface ImportFold {
  snapshots: ImportSnapshot[];
  end?: { position: number; rows: [string, { row: unknown; position: number }][]; stops: number };
}

/** Checked events of an import, in order, and the Merkle tree's nodes they complete. */
export interface ImportBatch {
  events: EventColumns;
  /** Every node of the log's tree that these events complete (src/checkpoints/merkle-frontier.ts). */
  nodes: NodeColumns;
  fold?: ImportFold;
}

/** The checked events of an import, in batches; reading throws ImportRefused at a bad line. */
export type ImportBatches = AsyncIterable<ImportBatch>;

/** What `import` made: the events, the projections (SQLite: rows and snapshots), the new log's id. */
export interface ImportReport {
  events: number;
  rows?: number;
  snapshots?: number;
  logId: string;
  ms: number;
}

/**
 * A log where `--db` says, and every way the server and the commands open it: the one thing
 * they know of SQLite and PostgreSQL (`open-log.ts` picks it).
 */
export interface LogBackend {
  /** The `--db` value, as messages name it. */
  readonly location: string;
  /** Opened to serve (created on first use; one server per SQLite file). */
  serve(options: ServeOptions): Promise<ServedLog>;
  readonly defaultSigningKey: DefaultSigningKey;
  /** The stored tree, read-only; a log that is not there, or whose tree is not built, is an error. */
  openTree(command: string): Promise<OpenedTree>;
  /** Opened read-only for `events --db`; a log that is not there is an error. */
  openReader(command: string): Promise<LogReader>;
  /** The sessions table folded from the log itself as it was right after `asOf` (default: the head). */
  sessionsAsOf(
    asOf: number | undefined,
    status: SessionStatus | undefined,
  ): Promise<{ sessions: SessionState[]; position: number }>;
  /**
   * The projections (or only `projection`) made again from the log; without `projection`,
   * the tree is also extended to the head and checked against the events' hashes.
   */
  rebuild(
    projection: string | undefined,
    progress?: (done: number, total: number) => void,
  ): Promise<RebuildReport[]>;
  /**
   * Fills an empty log with an export's events, as they were (positions, ids, times, hashes),
   * and builds its projections and its Merkle tree; a refusal (a bad line, a log that is not
   * empty) leaves the log as it was.
   */
  importEvents(batches: ImportBatches): Promise<ImportReport>;
  /**
   * Whether `importEvents` takes the sessions projection folded beside the check, with its
   * snapshots every 1,000 positions (ImportBatch.fold: SQLite), instead of folding the events
   * itself (PostgreSQL folds as its appends do).
   */
  readonly importFold: boolean;
  /**
   * Checks the log and everything derived from it, and `also` on the same log; returns the
   * exit code (0: all agree).
   */
  verify(out: ReportOutput, also?: LogCheck): Promise<number>;
}
