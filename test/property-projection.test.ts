import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import { evolve, type SessionState } from '../src/sessions/session.js';
import type { Sessionlog } from '../src/sessions/sessionlog.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { useTempDir } from './support/temp-dir.js';

/**
 * Property: whatever sequence of commands the log is given (legal or not), the sessions table
 * is the fold of the log, at the head and at any position before it.
 */

/** A session to act on: one that was started (by its index, modulo how many), or an unknown id. */
type Target = { known: number } | { unknown: string };

type Op =
  | { kind: 'start'; name: string | undefined; user: string | undefined }
  | { kind: 'update'; target: Target; data: UpdateData }
  | { kind: 'patch'; target: Target; data: PatchData }
  | { kind: 'end'; target: Target; data: EndData }
  | { kind: 'delete'; target: Target; reason: string | undefined }
  | { kind: 'file'; target: Target; path: string }
  | { kind: 'watchFailure'; target: Target; error: string };

interface UpdateData {
  name?: string;
  summary?: string;
  status?: 'in_progress';
}
interface PatchData {
  name?: string;
  summary?: string;
  status?: 'in_progress' | 'completed' | 'failed';
}
interface EndData {
  status: 'completed' | 'failed';
  summary?: string;
}

/** Text, now and then with a NUL byte (which the schemas refuse: the command must append nothing). */
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12, unit: 'grapheme' }) },
  // Any UTF-16 code units, lone surrogates included.
  { weight: 2, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }).map((s) => `${s}\0`) },
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops the undefined fields: the commands' data is exact-optional. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const target: fc.Arbitrary<Target> = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 50 }).map((known) => ({ known })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('session-nope', 'x', '').map((unknown) => ({ unknown })),
  },
);

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      name: maybe(text),
      user: maybe(fc.constantFrom('ada', 'bob')),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      target,
      // Sometimes empty, which the schema refuses.
      data: fc
        .record({
          name: maybe(text),
          summary: maybe(text),
          status: maybe(fc.constant('in_progress' as const)),
        })
        .map(defined),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('patch' as const),
      target,
      data: fc
        .record({
          name: maybe(text),
          summary: maybe(text),
          status: maybe(
            fc.constantFrom('in_progress' as const, 'completed' as const, 'failed' as const),
          ),
        })
        .map(defined),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('end' as const),
      target,
      data: fc
        .record({
          status: fc.constantFrom('completed' as const, 'failed' as const),
          summary: maybe(text),
        })
        .map(defined),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      target,
      reason: maybe(text),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('file' as const),
      target,
      // '../x' and '/abs' leave the cwd: refused.
      path: fc.constantFrom('a.txt', 'src/b.ts', 'dir/', '../x', '/abs'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('watchFailure' as const),
      target,
      error: fc.constantFrom('ENOSPC', 'EACCES', ''),
    }),
  },
);

const scenario = fc.record({
  /** A few sessions first, then anything (more starts included). */
  first: fc.array(
    fc.record({
      kind: fc.constant('start' as const),
      name: maybe(text),
      user: fc.constant(undefined),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  ops: fc.array(op, { maxLength: 36, size: 'medium' }),
  /** How the clock moves before each command: forwards, not at all, or backwards. */
  ticks: fc.array(fc.integer({ min: -2000, max: 5000 }), { minLength: 40, maxLength: 40 }),
  snapshotEvery: fc.constantFrom(0, 1, 3, 7, 1000),
  /** Where to look back with asOf, as a fraction of the head. */
  lookBack: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 3 }),
});

async function run(log: Sessionlog, ops: readonly Op[], tick: () => void) {
  const started: string[] = [];
  const idOf = (t: Target) =>
    'unknown' in t || started.length === 0
      ? 'unknown' in t
        ? t.unknown
        : 'session-none-yet'
      : (started[t.known % started.length] as string);
  let refused = 0;
  for (const o of ops) {
    tick();
    const before = await log.store.head();
    let appended: Promise<{ position: number }>;
    switch (o.kind) {
      case 'start':
        appended = log.commands.start(
          defined({ cwd: '/tmp', hostname: 'h', platform: 'linux', name: o.name, user: o.user }),
        );
        break;
      case 'update':
        appended = log.commands.update(idOf(o.target), o.data as never);
        break;
      case 'patch':
        appended = log.commands.patch(idOf(o.target), o.data);
        break;
      case 'end':
        appended = log.commands.end(idOf(o.target), o.data);
        break;
      case 'delete':
        appended = log.commands.delete(idOf(o.target), defined({ reason: o.reason }));
        break;
      case 'file':
        appended = log.commands.recordFileChange(idOf(o.target), {
          change: 'modified',
          path: o.path,
          kind: o.path.endsWith('/') ? 'dir' : 'file',
        });
        break;
      case 'watchFailure':
        appended = log.commands.recordWatchFailure(idOf(o.target), { error: o.error });
        break;
    }
    try {
      const { position } = await appended;
      const after = await log.store.head();
      expect(position).toBe(after);
      expect(after).toBeGreaterThan(before);
      if (o.kind === 'start') {
        const events = await log.store.read({ after: before });
        started.push((events[0] as Envelope).stream);
      }
    } catch (error) {
      if (!(error instanceof Error) || error.name === 'AssertionError') throw error;
      refused++;
      // A refused command appends nothing.
      expect(await log.store.head()).toBe(before);
    }
  }
  return { started, refused };
}

/** The table a fresh fold of `events` gives, by id (deleted sessions included). */
function fold(events: readonly Envelope[]): Map<string, SessionState> {
  const rows = new Map<string, SessionState>();
  for (const event of events) {
    const next = evolve(rows.get(event.stream) ?? null, event);
    if (next !== null) rows.set(event.stream, next);
  }
  return rows;
}

/** What `list()` answers: not deleted, newest first, then by id. */
function listed(rows: Map<string, SessionState>): SessionState[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows.values()]
    .filter((row) => row.deletedAt === null)
    .sort((a, b) => cmp(b.startedAt, a.startedAt) || cmp(a.id, b.id));
}

describe('the sessions projection, for random commands', () => {
  const dir = useTempDir();
  let runs = 0;

  it('is the fold of the log, at the head and at any earlier position', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ first, ops: rest, ticks, snapshotEvery, lookBack }) => {
        const ops = [...first, ...rest];
        const file = join(dir(), `run-${++runs}.db`);
        let now = Date.UTC(2030, 0, 1);
        let t = 0;
        const tick = () => {
          now += ticks[t++ % ticks.length] as number;
        };
        const log = openSessionlog({ db: file, snapshotEvery, clock: () => new Date(now) });
        try {
          const { started } = await run(log, ops, tick);
          const events = (await log.store.read()) as Envelope[];
          const head = await log.store.head();

          // Positions 1..head, no gap, in order.
          expect(events.map((e) => e.position)).toEqual(
            Array.from({ length: head }, (_, i) => i + 1),
          );
          expect(new Set(events.map((e) => e.stream))).toEqual(new Set(started));

          // The table is the fold of the log: by verify, and by our own fold.
          expect(log.projections.verify()).toEqual([]);
          const folded = fold(events);
          expect(log.sessions.list()).toEqual(listed(folded));
          for (const id of started) expect(log.sessions.get(id)).toEqual(folded.get(id));
          expect((await log.listSessions()).position).toBe(head);

          // asOf(P) is the fold up to P, with and without the snapshots caught up.
          const positions = [0, head, ...lookBack.map((f) => Math.floor(f * head))];
          for (const catchUp of [false, true]) {
            if (catchUp) log.projections.catchUpSnapshots();
            for (const p of positions) {
              const { sessions } = await log.listSessions({ asOf: p });
              expect(sessions, `asOf ${p}`).toEqual(listed(fold(events.slice(0, p))));
            }
          }
          expect(log.projections.verify()).toEqual([]);
        } finally {
          await log.close();
          for (const suffix of ['', '-wal', '-shm', '-journal', '.lock']) {
            rmSync(`${file}${suffix}`, { force: true });
          }
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
