import type { Durability } from '../src/events/store.js';
import { type BenchChild, startChild } from './child-process.js';
import type { ProcessStats, ServerMessage, StatsRequest } from './child-stats.js';

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
  /**
   * Logging at info into a file and prom-client metrics, as `serve` has them (default), or
   * neither (logger silent, no metrics collected): what observing costs is the difference.
   */
  observed?: boolean;
}

export function startSessionlogChild(options: SessionlogChildOptions): Promise<ServerChild> {
  const nodeArgs = [
    ...(options.exposeGc ? ['--expose-gc'] : []),
    ...(options.cpuProfileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]),
  ];
  return ready(
    startChild('./sessionlog-child.ts', {
      args: [
        options.db,
        options.durability,
        options.watch === false ? 'no-watch' : 'watch',
        options.observed === false ? 'unobserved' : 'observed',
      ],
      nodeArgs,
    }),
  );
}

/** `GET /api/sessions` as it was before streaming: the whole table built in memory. */
export function startBufferedTableChild(db: string): Promise<ServerChild> {
  return ready(startChild('./buffered-table-child.ts', { args: [db], nodeArgs: ['--expose-gc'] }));
}

export function startBareHonoChild(): Promise<ServerChild> {
  return ready(startChild('./bare-hono-child.ts'));
}

async function ready(child: BenchChild<StatsRequest, ServerMessage>): Promise<ServerChild> {
  try {
    const { port } = await child.next('ready');
    return {
      url: `http://127.0.0.1:${port}`,
      pid: child.pid,
      mark: () => child.send({ type: 'mark' }),
      stats: (gc = false) => child.ask({ type: 'stats', gc }, 'stats'),
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
