import Database from 'better-sqlite3';
import pg from 'pg';
import { expect, it } from 'vitest';
import { type NodeKey, rangeNodes } from '../src/checkpoints/merkle-nodes.js';
import type { SessionEvent } from '../src/events/schemas.js';
import type { EventStore } from '../src/events/store.js';
import type { ServedLog } from '../src/stores/log-backend.js';
import { openLog } from '../src/stores/open-log.js';
import { describeEachBackend } from './support/backends.js';
import { useClosables } from './support/closables.js';
import { freshTree, seeded, storedRoot } from './support/tree.js';

const started = {
  type: 'SessionStarted',
  data: { cwd: '/tmp', hostname: 'h', platform: 'linux' },
} as const;
const change = {
  type: 'FileChanged',
  data: { change: 'modified', path: 'a.txt', kind: 'file' },
} as const;

/** Appends in random batch sizes, several at once, so that group commit batches them. */
async function appendRandomly(
  store: EventStore<SessionEvent>,
  random: (n: number) => number,
  rounds: number,
) {
  for (let round = 0; round < rounds; round++) {
    const writes = Array.from({ length: 1 + random(6) }, async () => {
      const stream = `s-${random(1_000_000)}`;
      await store.append(stream, [started]);
      await store.append(
        stream,
        Array.from({ length: random(40) }, () => change),
      );
    });
    await Promise.all(writes);
  }
}

describeEachBackend('the Merkle tree kept with the log', (db, backend) => {
  const track = useClosables();
  const serve = async (): Promise<ServedLog> => {
    const served = await (await openLog(db())).serve({ durability: 'full' });
    track(served.log);
    return served;
  };

  /** The stored root at the head and at some sizes below it equals MemoryTree's over the events. */
  async function expectTreeOfEvents(served: ServedLog, random: (n: number) => number) {
    const head = await served.log.store.head();
    const fresh = await freshTree(served.log.store);
    expect(fresh.size).toBe(head);
    expect((await storedRoot(served.tree)).toString('hex')).toBe(fresh.root().toString('hex'));
    for (let i = 0; i < 10; i++) {
      const size = 1 + random(head);
      expect((await storedRoot(served.tree, size)).toString('hex')).toBe(
        fresh.root(size).toString('hex'),
      );
    }
  }

  it('has the root of the events after appends in random batch sizes, a restart and rebuild', async () => {
    const random = seeded(16);
    let served = await serve();
    expect((await storedRoot(served.tree)).toString('hex')).toBe(
      (await freshTree(served.log.store)).root().toString('hex'),
    );
    await appendRandomly(served.log.store, random, 8);
    await expectTreeOfEvents(served, random);
    await served.log.close();

    served = await serve();
    await appendRandomly(served.log.store, random, 4);
    await expectTreeOfEvents(served, random);
    await served.log.close();

    const reports = await (await openLog(db())).rebuild(undefined);
    expect(reports.map((r) => r.summary ?? r.name).join('\n')).toMatch(
      /^checked tree: \d+ leaves, root .* equals a fresh computation/m,
    );
    served = await serve();
    await expectTreeOfEvents(served, random);
  });

  it('is built from the events when a log written before the tree was kept is opened', async () => {
    const random = seeded(7);
    let served = await serve();
    await appendRandomly(served.log.store, random, 5);
    const root = await storedRoot(served.tree);
    await served.log.close();
    await forgetTree(db(), backend.name);

    const lines: string[] = [];
    expect(
      await (await openLog(db())).verify({
        log: (l) => lines.push(l),
        error: (l) => lines.push(l),
      }),
    ).toBe(0);
    expect(lines.join('\n')).toMatch(/tree {9}not built yet/);

    served = await serve();
    expect((await storedRoot(served.tree)).equals(root)).toBe(true);
    await appendRandomly(served.log.store, random, 2);
    await expectTreeOfEvents(served, random);
  });

  // Only SQLite's layout moved (PostgreSQL keeps its tree by (level, idx)): no test for it there.
  const sqliteOnly = backend.name === 'SQLite' ? it : () => {};
  sqliteOnly(
    'is moved to its (ends, level) key from a log of schema version 2, every node kept',
    async () => {
      const random = seeded(11);
      let served = await serve();
      await appendRandomly(served.log.store, random, 6);
      const root = await storedRoot(served.tree);
      await served.log.close();
      await keyTreeByLevel(db());
      const nodes = (file: string) => {
        const reading = new Database(file, { readonly: true });
        try {
          return reading
            .prepare('SELECT level, idx, hex(hash) AS hash FROM merkle_nodes ORDER BY level, idx')
            .all();
        } finally {
          reading.close();
        }
      };
      const before = nodes(db());

      // Read-only, the old layout is read as it is.
      const lines: string[] = [];
      const out = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
      expect(await (await openLog(db())).verify(out)).toBe(0);
      expect(lines.join('\n')).toMatch(/tree {9}\d+ leaves, root \S+ equals a fresh computation/);

      // A writer moves it: the same nodes, the new key, the triggers, and appends go on.
      served = await serve();
      expect((await storedRoot(served.tree)).equals(root)).toBe(true);
      expect(nodes(db())).toEqual(before);
      const file = new Database(db(), { readonly: true });
      try {
        expect(
          file.prepare("SELECT value FROM meta WHERE key = 'schemaVersion'").pluck().get(),
        ).toBe('3');
        const key = file
          .prepare(
            "SELECT name FROM pragma_index_info('sqlite_autoindex_merkle_nodes_1') ORDER BY seqno",
          )
          .pluck()
          .all();
        expect(key).toEqual(['ends', 'level']);
        expect(
          file
            .prepare('SELECT count(*) FROM merkle_nodes WHERE ends != (idx + 1) << level')
            .pluck()
            .get(),
        ).toBe(0);
      } finally {
        file.close();
      }
      await appendRandomly(served.log.store, random, 2);
      await expectTreeOfEvents(served, random);
      await served.log.close();
      lines.length = 0;
      expect(await (await openLog(db())).verify(out)).toBe(0);
      expect(lines.join('\n')).toMatch(/append-only +triggers in place/);
    },
  );

  it('is checked by verify: a stored node edited in place is found', async () => {
    const served = await serve();
    await appendRandomly(served.log.store, seeded(3), 3);
    await served.log.close();
    const lines: string[] = [];
    const out = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    expect(await (await openLog(db())).verify(out)).toBe(0);
    expect(lines.join('\n')).toMatch(/tree {9}\d+ leaves, root \S+ equals a fresh computation/);

    // The first node the root folds: an edit elsewhere shows in the proofs that read it.
    const [first] = rangeNodes({ start: 0, end: await headOf(db()) });
    await editNode(db(), backend.name, first as NodeKey);
    lines.length = 0;
    expect(await (await openLog(db())).verify(out)).toBe(1);
    expect(lines.join('\n')).toMatch(/tree {9}DISAGREES: the stored root of size \d+ is/);
    await expect((await openLog(db())).rebuild(undefined)).rejects.toThrow(
      /the stored Merkle tree is wrong/,
    );
  });
});

async function headOf(db: string): Promise<number> {
  const reader = await (await openLog(db)).openReader('test');
  try {
    return await reader.head();
  } finally {
    await reader.close();
  }
}

/** Makes the log look as an older sessionlog left it: no tree table, schema version 1. */
async function forgetTree(db: string, backend: string): Promise<void> {
  await onDatabase(db, backend, [
    'DROP TABLE merkle_nodes',
    "UPDATE meta SET value = '1' WHERE key = 'schemaVersion'",
  ]);
}

/** Makes the log's tree look as schema version 2 kept it: keyed by (level, idx). */
async function keyTreeByLevel(db: string): Promise<void> {
  await onDatabase(db, 'SQLite', [
    'DROP TRIGGER merkle_nodes_no_update',
    'DROP TRIGGER merkle_nodes_no_delete',
    `CREATE TABLE by_level (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
      PRIMARY KEY (level, idx)) STRICT, WITHOUT ROWID`,
    'INSERT INTO by_level SELECT level, idx, hash FROM merkle_nodes',
    'DROP TABLE merkle_nodes',
    'ALTER TABLE by_level RENAME TO merkle_nodes',
    `CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
  BEGIN SELECT RAISE(ABORT, 'merkle_nodes is append-only: UPDATE refused'); END`,
    `CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
  BEGIN SELECT RAISE(ABORT, 'merkle_nodes is append-only: DELETE refused'); END`,
    "UPDATE meta SET value = '2' WHERE key = 'schemaVersion'",
  ]);
}

/** An insider's edit of one interior node, the append-only triggers dropped first. */
async function editNode(db: string, backend: string, { level, index }: NodeKey): Promise<void> {
  const triggers =
    backend === 'SQLite'
      ? ['DROP TRIGGER merkle_nodes_no_update']
      : ['DROP TRIGGER merkle_nodes_append_only ON merkle_nodes'];
  await onDatabase(db, backend, [
    ...triggers,
    backend === 'SQLite'
      ? `UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = ${level} AND idx = ${index}`
      : `UPDATE merkle_nodes SET hash = decode(repeat('00', 32), 'hex') WHERE level = ${level} AND idx = ${index}`,
  ]);
}

async function onDatabase(db: string, backend: string, statements: string[]): Promise<void> {
  if (backend === 'SQLite') {
    const file = new Database(db);
    try {
      for (const sql of statements) file.exec(sql);
    } finally {
      file.close();
    }
    return;
  }
  const url = new URL(db);
  const schema = url.searchParams.get('schema') as string;
  url.searchParams.delete('schema');
  const client = new pg.Client({
    connectionString: url.toString(),
    options: `-c search_path=${schema}`,
  });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}
