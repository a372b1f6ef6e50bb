import type { BenchConfig } from './config.js';
import { cpuPerDelivery, type FanoutServer, fanoutRounds } from './cpu-fanout.js';
import { type PostServer, postRounds } from './cpu-post.js';
import type { Delivery } from './delivery.js';
import type { Load } from './http-suite.js';
import { observationCost } from './observe-cost.js';
import { percent, progress, type ReportLine } from './report.js';
import { medianInterval, pairedRatios, summarize } from './stats.js';

/** Issue 18's targets: server CPU per durable POST, µs, and as a multiple of the bare route. */
const POST_CPU_TARGET_US = 100;
const POST_CPU_RATIO_TARGET = 3;
/** Issue 17: metrics and logging cost at most 5 % (CPU per unit, throughput). */
const OBSERVING_COST = 0.05;
/** Issue 18: POST → delivery p99 to 1,000 clients, ms. */
const P99_TARGET_MS = 50;
/** A p99 past this says the server could not keep up with the run at all. */
const BEHIND_MS = 1000;

/**
 * What the server process spends (CPU time of all its threads, which a noisy machine blurs far
 * less than throughput) per unit of work, beside baselines measured in the same run:
 *
 *   - per durable `POST /api/sessions` (50 connections, autocannon), against a bare Hono route
 *     parsing the same body;
 *   - per event delivered to one WebSocket client (1,000 clients, 200 creations/s), with the
 *     POST → delivery latency of those runs;
 *   - both with logging (pino at info, into a file) and metrics (prom-client) as `serve` has
 *     them, against the same server with logging silent and no metrics collected.
 *
 * Medians of short rounds, the servers taking turns in balanced orders; ratios of the
 * medians with their per-round range, and the on/off ratios as medians of the rounds' own
 * ratios with their 90 % intervals.
 */
export async function cpuSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const posts = await postRounds(dir, config);
  progress('cpu: logging and metrics alone, in process');
  const observing = await observationCost(dir);
  const deliveries = await fanoutRounds(dir, config);
  return [
    ...postReport(posts, config),
    ...observingReport(observing, posts),
    ...fanoutReport(deliveries, config),
  ];
}

/**
 * The POST figures of `cpuSuite` alone (`npx tsx bench/only.ts cpu-post`, about a minute and a
 * half): for working on CPU per durable POST without the fan-out runs.
 */
export async function cpuPostSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  return postReport(await postRounds(dir, config), config);
}

/**
 * The delivery figures of `cpuSuite` alone (`npx tsx bench/only.ts cpu-fanout`, about four
 * minutes): for working on CPU per delivery and its latency without the POST runs.
 */
export async function cpuFanoutSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  return fanoutReport(await fanoutRounds(dir, config), config);
}

function postReport(loads: Record<PostServer, Load[]>, config: BenchConfig): ReportLine[] {
  const cpu = (key: PostServer) => loads[key].map((l) => l.cpuPerRequest);
  const rate = (key: PostServer) => loads[key].map((l) => l.rate);
  const ratio = (
    name: string,
    top: number[],
    bottom: number[],
    target?: number,
    ceiling?: boolean,
  ): ReportLine => ({
    kind: 'ratio',
    name,
    ratio: summarize(top).median / summarize(bottom).median,
    perRound: summarize(pairedRatios(top, bottom)),
    ...(target === undefined ? {} : { target, ceiling: ceiling ?? false }),
  });
  const failed = (key: PostServer) =>
    loads[key].reduce((sum, l) => sum + l.non2xx + l.errors, 0).toLocaleString('en-US');
  const busy = (key: PostServer) => percent(summarize(loads[key].map((l) => l.busy)).median);
  return [
    {
      kind: 'section',
      title: `CPU: server process CPU (all threads) per POST /api/sessions, ${config.httpConnections} connections (autocannon), ${config.cpuRounds} interleaved rounds of ${config.cpuRoundMs / 1000} s`,
    },
    {
      kind: 'figure',
      name: 'sessionlog (logs + metrics)',
      summary: summarize(cpu('observed')),
      unit: 'µs/req',
      target: POST_CPU_TARGET_US,
      ceiling: true,
    },
    {
      kind: 'figure',
      name: 'sessionlog, logging silent, no metrics',
      summary: summarize(cpu('unobserved')),
      unit: 'µs/req',
    },
    {
      kind: 'figure',
      name: 'bare Hono route (same body)',
      summary: summarize(cpu('bare')),
      unit: 'µs/req',
    },
    ratio('CPU sessionlog / bare Hono', cpu('observed'), cpu('bare'), POST_CPU_RATIO_TARGET, true),
    pairedRatio('CPU logs + metrics on / off', cpu('observed'), cpu('unobserved'), {
      at: 1 + OBSERVING_COST,
      ceiling: true,
    }),
    // The same server twice: how far the method alone moves the ratio above.
    pairedRatio('CPU A/A control: off / its twin', cpu('unobserved'), cpu('twin')),
    {
      kind: 'figure',
      name: 'throughput, logs + metrics',
      summary: summarize(rate('observed')),
      unit: 'req/s',
    },
    {
      kind: 'figure',
      name: 'throughput, no logs, no metrics',
      summary: summarize(rate('unobserved')),
      unit: 'req/s',
    },
    {
      kind: 'figure',
      name: 'throughput, bare Hono',
      summary: summarize(rate('bare')),
      unit: 'req/s',
    },
    pairedRatio('req/s logs + metrics on / off', rate('observed'), rate('unobserved'), {
      at: 1 - OBSERVING_COST,
      ceiling: false,
    }),
    pairedRatio('req/s A/A control: off / its twin', rate('unobserved'), rate('twin')),
    ratio('req/s sessionlog / bare Hono', rate('observed'), rate('bare')),
    {
      kind: 'note',
      text: `in the kernel (median share of the CPU): sessionlog ${percent(summarize(loads.observed.map((l) => l.cpuSystemShare)).median)}, bare ${percent(summarize(loads.bare.map((l) => l.cpuSystemShare)).median)}`,
    },
    {
      kind: 'note',
      text: `failed requests (must be 0): observed ${failed('observed')}, unobserved ${failed('unobserved')}, twin ${failed('twin')}, bare ${failed('bare')}; event loop busy (median): ${busy('observed')}, ${busy('unobserved')}, ${busy('twin')}, ${busy('bare')}`,
    },
  ];
}

/**
 * Issue 17's 5 %, isolated: what the observation code costs per request in this process
 * (observe-cost.ts), as a share of a durable POST's CPU without it (the child above).
 */
function observingReport(
  cost: Awaited<ReturnType<typeof observationCost>>,
  loads: Record<PostServer, Load[]>,
): ReportLine[] {
  const post = summarize(loads.unobserved.map((l) => l.cpuPerRequest)).median;
  return [
    {
      kind: 'section',
      title: `CPU: logging and metrics alone, per request, in process (request id, request log line into a file, HTTP series, commit counted and observed), ${cost.pairs} pairs of alternating blocks of ${cost.block} requests`,
    },
    { kind: 'figure', name: 'observed', summary: cost.observed, unit: 'µs/req' },
    {
      kind: 'figure',
      name: 'logging silent, no metrics',
      summary: cost.unobserved,
      unit: 'µs/req',
    },
    // Beside, not instead of, the figures issue 17 names (POSTs/s and fan-out with them on
    // and off, above and below): where an end-to-end ratio hides a few µs in its noise.
    {
      kind: 'ratio',
      name: 'their cost / CPU per durable POST',
      ratio: cost.costMicros / post,
      interval: { low: cost.interval.low / post, high: cost.interval.high / post },
      target: OBSERVING_COST,
      ceiling: true,
    },
    {
      kind: 'note',
      text: `logging and metrics add ${cost.costMicros.toFixed(1)} µs (90% CI ${cost.interval.low.toFixed(1)}–${cost.interval.high.toFixed(1)}) to a request, a commit observed with each (a server commits several together); a durable POST without them costs ${post.toFixed(0)} µs of server CPU (above)`,
    },
  ];
}

/**
 * Issue 17's on/off figures: the median of the rounds' own ratios (both servers of a ratio ran
 * in the same round, so a slow minute slows both), with its 90 % confidence interval. A target
 * is judged on the median, as every figure of the bench is; the interval, printed beside it,
 * is mostly this machine's noise (the A/A control's own is as wide), and where its far end
 * misses the check says so. The in-process figure, which that noise does not reach, is judged
 * on its whole interval.
 */
function pairedRatio(
  name: string,
  top: readonly number[],
  bottom: readonly number[],
  target?: { at: number; ceiling: boolean },
): ReportLine {
  const rounds = pairedRatios(top, bottom);
  return {
    kind: 'ratio',
    name,
    ratio: summarize(rounds).median,
    perRound: summarize(rounds),
    interval: medianInterval(rounds),
    ...(target === undefined
      ? {}
      : { target: target.at, ceiling: target.ceiling, judgedOn: 'median' as const }),
  };
}

function fanoutReport(runs: Record<FanoutServer, Delivery[]>, config: BenchConfig): ReportLine[] {
  const cpu = (key: FanoutServer) => runs[key].map(cpuPerDelivery);
  const p99 = (key: FanoutServer) => runs[key].map((run) => run.histogram.percentile(0.99));
  const count = (n: number) => n.toLocaleString('en-US');
  const behind = (key: FanoutServer) => p99(key).filter((ms) => ms > BEHIND_MS).length;
  const checks = (key: FanoutServer) => {
    const missing = runs[key].reduce((sum, run) => sum + run.expected - run.matched, 0);
    const disorder = runs[key].reduce((sum, run) => sum + run.disorder, 0);
    const dropped = runs[key].reduce((sum, run) => sum + run.dropped, 0);
    const failed = runs[key].reduce((sum, run) => sum + run.posted.failed, 0);
    return `${key}: ${count(missing)} missing, ${disorder} out of order or doubled, ${dropped} dropped, ${failed} POSTs failed`;
  };
  return [
    {
      kind: 'section',
      title: `CPU: server process CPU per event delivered to one WebSocket client, ${count(config.fanoutClients)} clients per server in ${config.fanoutProcesses} processes, connected throughout; ${config.fanoutRate} creations/s; ${config.cpuFanoutRounds} rounds of a ${config.cpuFanoutMs / 1000}-s stretch on each server in turn`,
    },
    {
      kind: 'figure',
      name: 'sessionlog (logs + metrics)',
      summary: summarize(cpu('observed')),
      unit: 'µs/delivery',
    },
    {
      kind: 'figure',
      name: 'sessionlog, logging silent, no metrics',
      summary: summarize(cpu('unobserved')),
      unit: 'µs/delivery',
    },
    pairedRatio('CPU logs + metrics on / off', cpu('observed'), cpu('unobserved'), {
      at: 1 + OBSERVING_COST,
      ceiling: true,
    }),
    // The same server twice: how far the method alone moves the ratio above.
    pairedRatio('CPU A/A control: off / its twin', cpu('unobserved'), cpu('twin')),
    {
      kind: 'figure',
      name: 'POST → delivery p99 (logs + metrics)',
      summary: summarize(p99('observed')),
      unit: 'ms',
      target: P99_TARGET_MS,
      ceiling: true,
    },
    {
      kind: 'figure',
      name: 'POST → delivery p99 (no logs, no metrics)',
      summary: summarize(p99('unobserved')),
      unit: 'ms',
    },
    {
      kind: 'note',
      text: `rounds in which the server fell behind (p99 over ${BEHIND_MS / 1000} s: slow clients are caught up from the log one by one, which costs far more per delivery, so such a round measures the machine more than the code): observed ${behind('observed')} of ${runs.observed.length}, unobserved ${behind('unobserved')} of ${runs.unobserved.length}`,
    },
    {
      kind: 'note',
      text: `in the kernel (median share of the CPU, the writes to ${count(config.fanoutClients)} sockets above all): observed ${percent(summarize(runs.observed.map((r) => r.cpuSystemMicros / Math.max(1, r.cpuMicros.deliverFrom))).median)}`,
    },
    {
      kind: 'note',
      text: `every client gets every event once, in order (all must be 0): ${checks('observed')}; ${checks('unobserved')}; ${checks('twin')}`,
    },
    {
      kind: 'note',
      text: `server event loop busy (median): observed ${percent(summarize(runs.observed.map((r) => r.busy.deliverFrom)).median)}, unobserved ${percent(summarize(runs.unobserved.map((r) => r.busy.deliverFrom)).median)}; throughput is the fixed creation rate (${config.fanoutRate}/s sent: observed ${summarize(runs.observed.map((r) => r.posted.rate)).median.toFixed(1)}, unobserved ${summarize(runs.unobserved.map((r) => r.posted.rate)).median.toFixed(1)})`,
    },
  ];
}
