import type { EventLoopUtilization } from 'node:perf_hooks';

/** What the bench may ask any server child: start a measured stretch, or report on it. */
export type StatsRequest = { type: 'mark' } | { type: 'stats'; gc: boolean };

/**
 * A server child's messages: its port once it listens (the ports of all its servers, in order,
 * when it holds several), and its stats when asked.
 */
export type ServerMessage = { type: 'ready'; port: number; ports?: number[] } | ProcessStats;

/** The servers bench/observing-child.ts holds in one process, in the order it tells their ports. */
export const OBSERVING_SERVERS = ['observed', 'unobserved', 'twin'] as const;
export type ObservingServer = (typeof OBSERVING_SERVERS)[number];

export interface ProcessStats {
  type: 'stats';
  /** Resident set size, bytes. */
  rss: number;
  heapUsed: number;
  /** Memory outside the V8 heap held by JS objects (Buffers, sockets' native parts). */
  external: number;
  /** Share of the time since the last `mark` the event loop was busy (0–1): 1 = saturated. */
  busy: number;
  /**
   * CPU time (user + system) the process spent since the last `mark`, in µs: all its threads
   * (getrusage of the process: the main thread, libuv's pool, V8's GC and compiler threads).
   */
  cpuMicros: number;
  /** Of it, the time in the kernel (system calls: the network, the disk). */
  cpuSystemMicros: number;
}

/** Sends a message to the bench; a child started without IPC has nobody to tell. */
export function tell(message: object): void {
  process.send?.(message);
}

/**
 * Answers `mark` and `stats` from the bench, and calls `close` when the bench disconnects (it
 * stops a child that way), then exits. `stats` with `gc` runs a full collection first, so that
 * memory figures compare live data, not garbage that happens to be waiting.
 */
export function serveStats(close: () => Promise<void>): void {
  let mark: EventLoopUtilization = performance.eventLoopUtilization();
  let cpuMark = process.cpuUsage();
  process.on('message', (message: StatsRequest) => {
    if (message.type === 'mark') {
      mark = performance.eventLoopUtilization();
      cpuMark = process.cpuUsage();
    } else if (message.type === 'stats') {
      if (message.gc) {
        // Twice: the first collection can leave objects with finalizers for the second.
        globalThis.gc?.();
        globalThis.gc?.();
      }
      const { rss, heapUsed, external } = process.memoryUsage();
      const busy = performance.eventLoopUtilization(mark).utilization;
      const { user, system } = process.cpuUsage(cpuMark);
      tell({
        type: 'stats',
        rss,
        heapUsed,
        external,
        busy,
        cpuMicros: user + system,
        cpuSystemMicros: system,
      } satisfies ProcessStats);
    }
  });
  process.once('disconnect', () => {
    void close().finally(() => process.exit(0));
  });
}
