import { ImportSessionsFold } from '../src/cli/import-fold.js';
import { ImportTree } from '../src/cli/import-tree.js';
import type { AnyEvent, Envelope } from '../src/events/envelope.js';
import type { EventRow } from '../src/events/event-row.js';
import { canonicalJson, chainHashOf, GENESIS_HASH } from '../src/events/hash.js';
import type { SessionEvent } from '../src/events/schemas.js';
import { uuidv7 } from '../src/events/uuid-v7.js';
import type { ImportBatch, ImportBatches, ImportFold } from '../src/stores/log-backend.js';
import { openLog } from '../src/stores/open-log.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { columnsOf } from './event-columns.js';

/**
 * The log of issue 15: `sessions` ordinary sessions of 10 events (9 for the active ones: one
 * in ten never ended), and one busy session, in progress, with `busyChanges` file changes,
 * one after each ordinary session, so that its events are spread over the whole log as a
 * long-running session's are. At full size: 100,000 + 1 sessions (90 % ended, 10,001 active),
 * 1,090,001 events.
 */
export interface ScaleShape {
  sessions: number;
  busyChanges: number;
}

export interface ScaleLog {
  file: string;
  events: number;
  sessions: number;
  active: number;
  busy: string;
  /** The busy session's last event: the one its timeline must show first. */
  busyHead: number;
  buildMs: number;
}

const BATCH = 10_000;
const META = canonicalJson({ schemaVersion: 1 });
const BUSY = 'session-busy';
const change = (i: number): SessionEvent => ({
  type: 'FileChanged',
  data: { change: 'modified', path: `src/file-${i % 50}.ts`, kind: 'file' },
});

/** Ordinary session `n`'s events: started, (in progress,) file changes, (ended). */
function sessionEvents(n: number): SessionEvent[] {
  const active = n % 10 === 9;
  const events: SessionEvent[] = [
    {
      type: 'SessionStarted',
      data: {
        cwd: `/work/project-${n % 100}`,
        hostname: `host-${n % 7}`,
        platform: 'linux',
        name: `task ${n}`,
      },
    },
  ];
  // Half the active sessions are still pending: no status update yet.
  if (!active || n % 20 === 19)
    events.push({ type: 'SessionUpdated', data: { status: 'in_progress' } });
  while (events.length < 9) events.push(change(n + events.length));
  if (!active)
    events.push({ type: 'SessionEnded', data: { status: n % 13 === 0 ? 'failed' : 'completed' } });
  return events;
}

export const sessionId = (n: number) => `session-${String(n).padStart(6, '0')}`;

/**
 * Builds the log into `file` (which must not exist) through `import`'s own path (the backend's
 * importEvents, in batches of 10,000 rows, the projections built after), from rows made here
 * with their hashes chained: a million events in seconds, where appends through the session
 * commands would take minutes. Times are one millisecond apart, ending now.
 */
export async function buildScaleLog(file: string, shape: ScaleShape): Promise<ScaleLog> {
  const total = 1 + shape.busyChanges + shape.sessions * 10 - Math.floor(shape.sessions / 10);
  const start = Date.now() - total;
  let position = 0;
  let previous = GENESIS_HASH;
  let active = 1;
  let busyHead = 0;
  const versions = new Map<string, number>();
  const sessions = new ImportSessionsFold();
  const rowOf = (stream: string, event: SessionEvent): EventRow => {
    position++;
    const version = (versions.get(stream) ?? 0) + 1;
    versions.set(stream, version);
    const time = new Date(start + position).toISOString();
    const head = {
      position,
      id: uuidv7(start + position),
      stream,
      version,
      type: event.type,
      time,
    };
    const data = canonicalJson(event.data);
    const before = previous;
    previous = chainHashOf(previous, head, data, META);
    const row = { ...head, data, meta: META, hash: previous };
    sessions.apply(
      { ...row, data: event.data, meta: { schemaVersion: 1 } } as Envelope<AnyEvent>,
      before,
    );
    return row;
  };
  // The rows as columns, the tree's nodes each batch completes and the sessions fold, as
  // import's checking thread gives them (a row's line is its position).
  const tree = new ImportTree();
  const withNodes = (rows: EventRow[], fold: ImportFold): ImportBatch => {
    const events = columnsOf(rows);
    return { events, nodes: tree.append(events.hash), fold };
  };
  async function* batches(): ImportBatches {
    let batch: EventRow[] = [
      rowOf(BUSY, {
        type: 'SessionStarted',
        data: { cwd: '/work/busy', hostname: 'host-busy', platform: 'linux', name: 'the busy one' },
      }),
    ];
    let busyLeft = shape.busyChanges;
    for (let n = 0; n < shape.sessions; n++) {
      const events = sessionEvents(n);
      if (events.at(-1)?.type !== 'SessionEnded') active++;
      for (const event of events) batch.push(rowOf(sessionId(n), event));
      // The busy session's changes, spread evenly over the ordinary sessions.
      const due =
        Math.ceil(((n + 1) * shape.busyChanges) / shape.sessions) - (shape.busyChanges - busyLeft);
      for (let i = 0; i < due; i++, busyLeft--) {
        batch.push(rowOf(BUSY, change(i)));
        busyHead = position;
      }
      if (batch.length >= BATCH) {
        yield withNodes(batch, sessions.taken());
        batch = [];
      }
    }
    yield withNodes(batch, sessions.finish(position, previous));
  }
  // Versions of 100,000 streams: dropped once the build is done.
  const started = performance.now();
  const report = await (await openLog(file)).importEvents(batches());
  versions.clear();
  if (report.events !== total) throw new Error(`built ${report.events} events, not ${total}`);
  return {
    file,
    events: report.events,
    sessions: shape.sessions + 1,
    active,
    busy: BUSY,
    busyHead,
    buildMs: performance.now() - started,
  };
}

/**
 * Appends `events` events to the log in `file` while no server runs (what a client that was
 * away missed): `sessions` new sessions, each started, its file changes, and every other one
 * ended, through the store in appends of up to 1,000 events, several in flight so that group
 * commit writes them together. Returns the new head.
 */
export async function extendLog(
  file: string,
  { events, sessions, prefix }: { events: number; sessions: number; prefix: string },
): Promise<number> {
  const perSession = Math.floor(events / sessions);
  const log = openSessionlog({ db: file, durability: 'normal' });
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let n = next++; n < sessions; n = next++) {
          const id = `${prefix}-${String(n).padStart(5, '0')}`;
          const ends = n % 2 === 0;
          const all: SessionEvent[] = [
            {
              type: 'SessionStarted',
              data: { cwd: '/work/away', hostname: 'host-away', platform: 'linux', name: id },
            },
            ...Array.from({ length: perSession - (ends ? 2 : 1) }, (_, i) => change(i)),
            ...(ends ? [{ type: 'SessionEnded', data: { status: 'completed' } } as const] : []),
          ];
          for (let at = 0; at < all.length; at += 1000) {
            const part = all.slice(at, at + 1000);
            await log.store.append(id, part, { expectedVersion: at === 0 ? 'no-stream' : at });
          }
        }
      }),
    );
    return await log.store.head();
  } finally {
    await log.close();
  }
}
