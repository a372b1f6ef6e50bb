import type { Durability } from '../src/events/store.js';
import { type BenchChild, startChild } from './child-process.js';
import {
  OBSERVING_SERVERS,
  type ObservingServer,
  type ProcessStats,
  type ServerMessage,
  type StatsRequest,
} from './child-stats.js';
import { assertServerBuilt } from './server-build.js';

/** A server in a child process: where to reach it, and how busy and how big it is. */
export interface ServerChild {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** Starts a measured stretch: `stats().busy` covers the time since. */
  mark(): void;
  /** Memory and event-loop use; `gc` collects first (the child needs --expose-gc). */
  stats(gc?: boolean): Promise<ProcessStats>;
  stop(): Promise<void>;
}

export interface SessionlogChildOptions {
  db: string;
  durability: Durability;
  /**
   * File watching as `serve` has it (default), or off: the bench log's sessions name a cwd
   * that does not exist, and watching them would append a WatchFailed per session.
   */
  watch?: boolean;
  /** Start with --expose-gc, so that `stats(true)` measures live memory. */
  exposeGc?: boolean;
  /** BENCH_CPU_PROF: write a V8 CPU profile of the server here when it exits. */
  cpuProfileDir?: string | undefined;
}

export function startSessionlogChild(options: SessionlogChildOptions): Promise<ServerChild> {
  assertServerBuilt();
  const nodeArgs = [
    ...(options.exposeGc ? ['--expose-gc'] : []),
    ...profiling(options.cpuProfileDir),
  ];
  return ready(
    startChild('./sessionlog-child.ts', {
      args: [options.db, options.durability, options.watch === false ? 'no-watch' : 'watch'],
      nodeArgs,
    }),
  );
}

/** `GET /api/sessions` as it was before streaming: the whole table built in memory. */
export function startBufferedTableChild(db: string): Promise<ServerChild> {
  return ready(startChild('./buffered-table-child.ts', { args: [db], nodeArgs: ['--expose-gc'] }));
}

/**
 * sessionlog observed, unobserved and its twin, in one child process (observing-child.ts), on
 * log files `<prefix>-<server>.db` in `dir`. Each is a ServerChild of its own; their stats are
 * the process's, which are one server's while only that one is loaded. Stopping any stops all
 * three.
 */
export async function startObservingChild(
  dir: string,
  prefix: string,
  cpuProfileDir?: string,
): Promise<Record<ObservingServer, ServerChild>> {
  assertServerBuilt();
  const child = startChild<StatsRequest, ServerMessage>('./observing-child.ts', {
    args: [dir, prefix],
    nodeArgs: profiling(cpuProfileDir),
  });
  const { server, ports = [] } = await started(child);
  return Object.fromEntries(
    OBSERVING_SERVERS.map((name, i) => [name, { ...server, url: `http://127.0.0.1:${ports[i]}` }]),
  ) as Record<ObservingServer, ServerChild>;
}

/** Node's flags for BENCH_CPU_PROF: a V8 CPU profile written into `dir` at exit. */
function profiling(dir: string | undefined): string[] {
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

export function startBareHonoChild(): Promise<ServerChild> {
  return ready(startChild('./bare-hono-child.ts'));
}

async function ready(child: BenchChild<StatsRequest, ServerMessage>): Promise<ServerChild> {
  return (await started(child)).server;
}

/** The child once it listens, and the ports of its servers when it holds several. */
async function started(
  child: BenchChild<StatsRequest, ServerMessage>,
): Promise<{ server: ServerChild; ports?: number[] }> {
  try {
    const { port, ports } = await child.next('ready');
    const server = {
      url: `http://127.0.0.1:${port}`,
      pid: child.pid,
      mark: () => child.send({ type: 'mark' }),
      stats: (gc = false) => child.ask({ type: 'stats', gc }, 'stats'),
      stop: () => child.stop(),
    };
    return ports === undefined ? { server } : { server, ports };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
