import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openPgSessionlog } from '../src/stores/postgres/open-postgres.js';
import { pgWatchLeases } from '../src/stores/postgres/watch-leases.js';
import { type Collector, subscribe } from '../src/testing/subscribe.js';
import type { NodeAnswer, NodeRequest } from './support/pg-node-child.js';
import { pgUnavailable, usePgAdmin, usePgSchemas } from './support/postgres.js';
import { useTempDir } from './support/temp-dir.js';
import { changes, settledChanges, startSession } from './support/watcher.js';

/** A node with file watching on, in a child process (pg-node-child.ts). */
interface LeaseNode {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Whether this node watches the session's directory (once it has settled its claim). */
  watches(id: string): Promise<boolean>;
  /** SIGKILL: its leases stay in the table until they expire. */
  kill(): Promise<void>;
  /** SIGTERM: a clean close, which gives its leases back; resolves with the exit code. */
  stop(): Promise<number | null>;
}

async function startNode(
  db: string,
  name: string,
  leases: { ttlMs: number; renewMs: number },
): Promise<LeaseNode> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/support/pg-node-child.ts',
      db,
      name,
      String(leases.ttlMs),
      String(leases.renewMs),
    ],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    void exited.then(() => reject(new Error(`node ${name} exited: ${stderr.trim()}`)));
  });
  const asked = new Map<string, Array<(watched: boolean) => void>>();
  child.on('message', (answer: NodeAnswer) => {
    for (const resolve of asked.get(answer.id) ?? []) resolve(answer.watched);
    asked.delete(answer.id);
  });
  return {
    name,
    url,
    child,
    watches: (id) =>
      new Promise((resolve, reject) => {
        asked.set(id, [...(asked.get(id) ?? []), resolve]);
        child.send({ type: 'ready', id } satisfies NodeRequest);
        void exited.then(() => reject(new Error(`node ${name} exited`)));
      }),
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return child.exitCode;
    },
  };
}

/** Polls until `check` holds; returns how long it took. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    }
    await sleep(50);
  }
  return performance.now() - started;
}

/** Which of the nodes watch the session's directory. */
async function watchers(nodes: readonly LeaseNode[], id: string): Promise<string[]> {
  const watching = await Promise.all(nodes.map((node) => node.watches(id)));
  return nodes.filter((_, i) => watching[i]).map((node) => node.name);
}

/** The FileChanged events of one path in a session's stream. */
const recorded = (stream: Collector, path: string) =>
  changes(stream.events).filter((change) => change.path === path);

describe.skipIf(pgUnavailable !== undefined)(
  `file watching across nodes on one PostgreSQL log${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`,
  () => {
    const schema = usePgSchemas();
    const admin = usePgAdmin();
    const tempDir = useTempDir();
    const dir = (name: string) => {
      const path = join(realpathSync(tempDir()), name);
      mkdirSync(path);
      return path;
    };
    const leaseHolder = async (db: string, id: string) => {
      const { rows } = await (await admin()).query<{ node: string }>(
        `SELECT node FROM ${new URL(db).searchParams.get('schema')}.watch_leases
         WHERE session_id = $1 AND expires_at > now()`,
        [id],
      );
      return rows.map((row) => row.node);
    };

    /** Writes `file` in every session's directory; each must be recorded exactly once. */
    async function expectRecordedOnce(
      url: string,
      sessions: ReadonlyArray<{ id: string; cwd: string }>,
      file: string,
    ) {
      const streams = await Promise.all(
        sessions.map(({ id }) => subscribe(url, { after: 0, streams: [id] })),
      );
      for (const { cwd } of sessions) writeFileSync(join(cwd, file), file);
      for (const [i, { cwd }] of sessions.entries()) {
        const stream = streams[i] as Collector;
        await settledChanges(stream, cwd);
        // A second watcher would record it too, one debounce window (300 ms) later at most.
        await sleep(400);
        expect(recorded(stream, file), `${file} in ${cwd}`).toEqual([
          { change: 'created', path: file, kind: 'file' },
        ]);
        await stream.close();
      }
    }

    it("watches each session's directory on exactly one node, and another takes over within the lease's ttl when that one is SIGKILLed", async () => {
      const db = schema();
      const leases = { ttlMs: 1500, renewMs: 300 };
      const nodes = [await startNode(db, 'A', leases), await startNode(db, 'B', leases)];
      // Created through both nodes while both run: their claims race for every session.
      const sessions: Array<{ id: string; cwd: string }> = [];
      for (let s = 0; s < 4; s++) {
        const cwd = dir(`work-${s}`);
        sessions.push({ id: await startSession(nodes[s % 2] as LeaseNode, cwd), cwd });
      }
      const owner = new Map<string, string>();
      for (const { id } of sessions) {
        await until(`one node watching ${id}`, async () => (await watchers(nodes, id)).length > 0);
        const watching = await watchers(nodes, id);
        expect(watching).toHaveLength(1);
        expect(await leaseHolder(db, id)).toEqual(watching);
        owner.set(id, watching[0] as string);
      }
      // Renewals come and go without moving a lease.
      await sleep(2 * leases.ttlMs);
      for (const { id } of sessions) expect(await watchers(nodes, id)).toEqual([owner.get(id)]);
      await expectRecordedOnce(nodes[0]?.url as string, sessions, 'first.txt');

      // The node watching the most directories dies without giving its leases back.
      const held = (node: LeaseNode) => sessions.filter(({ id }) => owner.get(id) === node.name);
      const [victim, survivor] = (
        held(nodes[0] as LeaseNode).length >= held(nodes[1] as LeaseNode).length
          ? nodes
          : [...nodes].reverse()
      ) as [LeaseNode, LeaseNode];
      const orphaned = held(victim);
      expect(orphaned.length).toBeGreaterThan(0);
      await victim.kill();
      const takeoverMs = await until('the survivor watching every directory', async () => {
        const watched = await Promise.all(sessions.map(({ id }) => survivor.watches(id)));
        return watched.every(Boolean);
      });
      console.log(
        `leases: ${orphaned.length} of ${sessions.length} directories taken over ` +
          `${Math.round(takeoverMs)} ms after the SIGKILL (ttl ${leases.ttlMs} ms)`,
      );
      expect(takeoverMs).toBeLessThan(leases.ttlMs + 10_000);
      for (const { id } of sessions) expect(await leaseHolder(db, id)).toEqual([survivor.name]);
      // What changes now is recorded once, by the survivor; what was there is not again.
      await expectRecordedOnce(survivor.url, sessions, 'second.txt');
      const streams = await Promise.all(
        sessions.map(({ id }) => subscribe(survivor.url, { after: 0, streams: [id] })),
      );
      for (const stream of streams) {
        await stream.waitFor(() => stream.frames.some((frame) => frame.type === 'live'));
        expect(recorded(stream, 'first.txt')).toHaveLength(1);
        await stream.close();
      }
    }, 120_000);

    it('a node that closes gives its leases back: another takes over at once, long before they would expire', async () => {
      const db = schema();
      const leases = { ttlMs: 30_000, renewMs: 300 };
      const a = await startNode(db, 'A', leases);
      const sessions: Array<{ id: string; cwd: string }> = [];
      for (let s = 0; s < 2; s++) {
        const cwd = dir(`work-${s}`);
        const id = await startSession(a, cwd);
        expect(await a.watches(id)).toBe(true);
        sessions.push({ id, cwd });
      }
      // B starts after A holds every lease: it finds them held and watches nothing.
      const b = await startNode(db, 'B', leases);
      await sleep(3 * leases.renewMs);
      for (const { id } of sessions) expect(await watchers([a, b], id)).toEqual(['A']);
      await expectRecordedOnce(b.url, sessions, 'before.txt');

      expect(await a.stop()).toBe(0);
      const handOverMs = await until('B watching every directory', async () => {
        const watched = await Promise.all(sessions.map(({ id }) => b.watches(id)));
        return watched.every(Boolean);
      });
      console.log(
        `leases: clean hand-over in ${Math.round(handOverMs)} ms (ttl ${leases.ttlMs} ms)`,
      );
      expect(handOverMs).toBeLessThan(leases.ttlMs / 2);
      for (const { id } of sessions) expect(await leaseHolder(db, id)).toEqual(['B']);
      await expectRecordedOnce(b.url, sessions, 'after.txt');
    }, 120_000);

    it('clears the expired leases a dead node left on sessions that have ended', async () => {
      const db = schema();
      const log = await openPgSessionlog({ url: db });
      const leases = pgWatchLeases(log.database.pool, { ttlMs: 600, renewMs: 100, node: 'C' });
      try {
        const { session: ended } = await log.commands.start({
          cwd: '/tmp',
          hostname: 'h',
          platform: 'linux',
        });
        const { session: active } = await log.commands.start({
          cwd: '/tmp',
          hostname: 'h',
          platform: 'linux',
        });
        await log.commands.end(ended.id, { status: 'completed' });
        const client = await admin();
        const table = `${new URL(db).searchParams.get('schema')}.watch_leases`;
        await client.query(
          `INSERT INTO ${table} (session_id, node, expires_at) VALUES
             ($1, 'dead', now() - interval '1 minute'), ($2, 'dead', now() - interval '1 minute')`,
          [ended.id, active.id],
        );
        const orphans: string[] = [];
        leases.start({
          onLost: () => {},
          onOrphans: (found) => orphans.push(...found.map((s) => s.id)),
        });
        await sleep(500);
        const { rows } = await client.query(`SELECT session_id FROM ${table}`);
        // The ended session's lease is gone; the active one's is offered to take over.
        expect(rows.map((row) => row.session_id)).toEqual([active.id]);
        expect(new Set(orphans)).toEqual(new Set([active.id]));
      } finally {
        await leases.close();
        await log.close();
      }
    });
  },
);
