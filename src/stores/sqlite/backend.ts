import { existsSync } from 'node:fs';
import { sessionEventVersions } from '../../events/event-types.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { LogBackend, RebuildReport } from '../log-backend.js';
import { treeRebuildReport } from '../verify-tree.js';

/**
 * A log in a SQLite file, or in memory (`:memory:`). What each command needs is loaded when it
 * runs: a command that only reads loads no schema validator, and none loads verify's checks
 * but verify.
 */
export function sqliteBackend(file: string): LogBackend {
  const inMemory = file === ':memory:';
  /** Opens the file read-only: it must hold a log already, and nothing in it changes. */
  const openReadOnly = async () => {
    if (!existsSync(file)) throw new Error(`no log at ${file}`);
    const [{ openDatabase }, { SqliteEventReader }] = await Promise.all([
      import('./database.js'),
      import('./reader.js'),
    ]);
    const db = openDatabase(file, { readonly: true });
    return { db, reader: new SqliteEventReader(db, sessionEventVersions) };
  };
  /**
   * Opening the log extended its tree to the head; its nodes never change, so `rebuild`
   * checks it against the events' hashes rather than making it again.
   */
  const checkTreeAfterOpen = async (): Promise<RebuildReport> => {
    const started = performance.now();
    const { verifyTree } = await import('./verify.js');
    const { db, reader } = await openReadOnly();
    try {
      return treeRebuildReport(db.transaction(() => verifyTree(db, reader))(), started);
    } finally {
      db.close();
    }
  };
  return {
    location: file,
    defaultSigningKey: inMemory ? 'made-at-start' : { file: `${file}.signing-key` },

    async serve({ durability, onCommit, logger }) {
      // One serve per file (its clients would not see another process's commits live).
      // Another program's database is refused before its lock file is made beside it.
      const [{ checkLogFile }, { lockLogFile }] = await Promise.all([
        import('./log-mark.js'),
        import('./lock.js'),
      ]);
      if (!inMemory) checkLogFile(file);
      const lock = inMemory ? undefined : lockLogFile(file);
      try {
        const { openSessionlog } = await import('./open-sqlite.js');
        const log = openSessionlog({
          db: file,
          durability,
          ...(onCommit ? { onCommit } : {}),
          ...(logger ? { logger } : {}),
        });
        const close = log.close;
        return {
          log: {
            ...log,
            async close() {
              await close();
              lock?.release();
            },
          },
          watch: inMemory ? {} : { logFile: file },
          tree: log.tree,
        };
      } catch (error) {
        lock?.release();
        throw error;
      }
    },

    async openTree() {
      const [{ readMeta }, { SqliteTree }, { hasTreeTable }] = await Promise.all([
        import('./database.js'),
        import('./merkle-tree.js'),
        import('./verify-chain.js'),
      ]);
      const { db, reader } = await openReadOnly();
      try {
        const tree = new SqliteTree(db);
        const head = reader.head();
        if (!hasTreeTable(db) || tree.size() < head) {
          throw new Error(
            `the Merkle tree of ${file} is not built up to its head yet: sessionlog serve or rebuild builds it`,
          );
        }
        return {
          logId: readMeta(db, 'logId') as string,
          tree: {
            head: async () => reader.head(),
            readNodes: async (keys) => tree.readNodes(keys),
          },
          close: async () => {
            db.close();
          },
        };
      } catch (error) {
        db.close();
        throw error;
      }
    },

    async openReader() {
      const { ndjsonPages } = await import('./ndjson-pages.js');
      const { db, reader } = await openReadOnly();
      return {
        read: async (options) => reader.read(options),
        ndjson: (options) => ndjsonPages(reader, options, file),
        head: async () => reader.head(),
        close: async () => {
          db.close();
        },
      };
    },

    async sessionsAsOf(asOf, status) {
      const { SqliteProjections } = await import('./projections.js');
      const { db, reader } = await openReadOnly();
      try {
        // Folded from the log (from the nearest snapshot), not read from the stored table.
        const projections = new SqliteProjections(db, reader, [sessionsProjection]);
        const head = reader.head();
        const position = asOf ?? head;
        if (position > head)
          throw new Error(`--as-of ${position} is beyond the log's head (${head})`);
        const sessions = projections.asOf(sessionsProjection, position, (table) =>
          table.list(status === undefined ? {} : { status }),
        );
        return { sessions, position };
      } finally {
        db.close();
      }
    },

    async rebuild(projection, progress) {
      // A mistyped path must not leave an empty log behind it.
      if (!inMemory && !existsSync(file)) throw new Error(`no log at ${file}`);
      // Only an existing log: an empty file is not made one, another program's is not touched.
      const { openSessionlog } = await import('./open-sqlite.js');
      const log = openSessionlog({ db: file, create: false });
      let reports: RebuildReport[];
      try {
        reports = [projection ?? sessionsProjection.name].map((name) => {
          const started = performance.now();
          const { events, rows, snapshots } = log.projections.rebuild(name, progress);
          return { name, events, rows, snapshots, ms: performance.now() - started };
        });
      } finally {
        await log.close();
      }
      if (projection === undefined && !inMemory) reports.push(await checkTreeAfterOpen());
      return reports;
    },

    importFold: true,
    importEvents: async (batches) => (await import('./import.js')).importSqlite(file, batches),

    async verify(out, also) {
      const { verifySqliteLog } = await import('./verify.js');
      return verifySqliteLog(file, out, also);
    },
  };
}
