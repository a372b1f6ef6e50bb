/** How much work each measurement does: the full run, or the small BENCH_QUICK smoke test. */
export interface BenchConfig {
  quick: boolean;
  /** Rounds per append figure; the report shows their median and min–max. */
  rounds: number;
  /** How long one append round keeps appending. */
  roundMs: number;
  /** One unrecorded round per figure first, so that the JIT and the page cache are warm. */
  warmupMs: number;
  /** Concurrent single-event appenders (the 64). */
  appenders: number;
  /** The rebuild log: this many sessions of `eventsPerSession` events each. */
  logSessions: number;
  eventsPerSession: number;
  /** Appends in flight while the log is built, so that group commit batches them. */
  logAppendsInFlight: number;
  rebuildRounds: number;
  /** The rebuild target of the issue, in events/s. */
  rebuildTarget: number;
}

export function benchConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const quick = env.BENCH_QUICK === '1';
  return {
    quick,
    rounds: quick ? 3 : 5,
    roundMs: quick ? 150 : 1500,
    warmupMs: quick ? 50 : 500,
    appenders: 64,
    logSessions: quick ? 200 : 10_000,
    eventsPerSession: 100,
    logAppendsInFlight: 16,
    rebuildRounds: 3,
    rebuildTarget: 200_000,
  };
}
