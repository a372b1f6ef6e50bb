/** How much work each measurement does: the full run, or the small BENCH_QUICK smoke test. */
export interface BenchConfig {
  quick: boolean;
  /** Rounds per append figure; the report shows their median and min–max. */
  rounds: number;
  /** How long one append round keeps appending. */
  roundMs: number;
  /** One unrecorded round per figure first, so that the JIT and the page cache are warm. */
  warmupMs: number;
  /** Concurrent single-event appenders (64: the figure README's Performance table gives). */
  appenders: number;
  /** The rebuild log: this many sessions of `eventsPerSession` events each. */
  logSessions: number;
  eventsPerSession: number;
  /** Appends in flight while the log is built, so that group commit batches them. */
  logAppendsInFlight: number;
  rebuildRounds: number;
  /** The rebuild target, in events/s (README, Performance). */
  rebuildTarget: number;
  /** HTTP: autocannon rounds per server (alternating), their length, and a warm-up each. */
  httpRounds: number;
  httpRoundMs: number;
  httpWarmupMs: number;
  httpConnections: number;
  /**
   * Fan-out: WebSocket clients, spread over this many client processes. Two: one process with
   * all 1,000 was 90–94% busy at 200 creations/s (it would add its own lag); two are ~55% each.
   */
  fanoutClients: number;
  fanoutProcesses: number;
  /** Session creations per second, for this long (after a short warm-up). */
  fanoutRate: number;
  fanoutMs: number;
  /** PostgreSQL beside SQLite: WebSocket clients of the POST → delivery figures (1 process). */
  pgClients: number;
  /** Replay: clients in turn, each reading the whole big log from position 0. */
  replayRounds: number;
  /** Idle WebSockets held open for the memory figure, opened this many at a time. */
  idleConnections: number;
  connectBatch: number;
  /** Runs of each auditor command (verify, events, import) on the big log. */
  auditorRounds: number;
  /** verify and the export, in events/s (issue 15). */
  auditorTarget: number;
  /** import, in events/s (issue 15). */
  importTarget: number;
  /** Scale (issue 15): ordinary sessions of the big log, and the busy session's file changes. */
  scaleSessions: number;
  scaleBusyChanges: number;
  /** First visits of the dashboard on it, each measured; the server's RSS after all of them. */
  scaleOpens: number;
  /** Reads of the whole table per encoding. */
  scaleTableReads: number;
  /** Events a returning client missed, and how many such returns are timed. */
  scaleMissed: number;
  scaleReturnRounds: number;
  /** BENCH_CPU_PROF=dir: the sessionlog server children write V8 CPU profiles there. */
  cpuProfileDir: string | undefined;
  /**
   * The cpu suite (cpu-suite.ts): interleaved rounds of server CPU per POST (each as long as
   * `cpuRoundMs`, after an `httpWarmupMs` warm-up per server), and of fan-out stretches (each
   * `cpuFanoutMs` at `fanoutRate` to `fanoutClients`) per server. Many short rounds rather
   * than a few long ones: the machine's speed changes from one second to the next, and the
   * figures are medians of rounds side by side.
   */
  cpuRounds: number;
  cpuRoundMs: number;
  cpuFanoutRounds: number;
  cpuFanoutMs: number;
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
    httpRounds: 3,
    httpRoundMs: quick ? 1000 : 5000,
    httpWarmupMs: quick ? 1000 : 2000,
    httpConnections: 50,
    fanoutClients: quick ? 100 : 1000,
    fanoutProcesses: 2,
    fanoutRate: 200,
    fanoutMs: quick ? 2000 : 10_000,
    pgClients: 100,
    replayRounds: 3,
    idleConnections: quick ? 1000 : 10_000,
    connectBatch: 500,
    auditorRounds: 3,
    auditorTarget: 500_000,
    importTarget: 200_000,
    scaleSessions: quick ? 10_000 : 100_000,
    scaleBusyChanges: quick ? 10_000 : 100_000,
    scaleOpens: quick ? 3 : 10,
    scaleTableReads: 3,
    scaleMissed: quick ? 100_000 : 1_000_000,
    scaleReturnRounds: quick ? 1 : 3,
    cpuProfileDir: env.BENCH_CPU_PROF || undefined,
    cpuRounds: quick ? 2 : 152,
    cpuRoundMs: quick ? 1000 : 400,
    cpuFanoutRounds: quick ? 1 : 30,
    cpuFanoutMs: quick ? 1000 : 2000,
  };
}
