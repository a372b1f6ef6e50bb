import { join } from 'node:path';
import {
  awaitDeliveries,
  type Crowd,
  closeClients,
  openClients,
  startCrowds,
  stopCrowds,
} from './client-crowds.js';
import type { BenchConfig } from './config.js';
import { LatencyHistogram } from './latency-histogram.js';
import { type PostedSessions, postSessionsAtRate } from './post-at-rate.js';
import { percent, progress, type ReportLine } from './report.js';
import { type ServerChild, startSessionlogChild } from './server-children.js';
import { summarize } from './stats.js';
import { sessionsCwd } from './temp-dir.js';

/** The target for the 99th percentile of POST → delivery, in ms. */
const P99_TARGET_MS = 50;
/** Unrecorded creations first, so that the JIT and the page cache are warm. */
const WARMUP_MS = 1000;
/** How long deliveries may trail the last POST's answer before the rest counts as missing. */
const SETTLE_MS = 15_000;

/**
 * Latency from `POST /api/sessions` to the SessionStarted event on every one of many connected
 * WebSocket clients (subscribed from the head), at a steady creation rate. The server, the
 * clients and the POSTing bench are separate processes reading one wall clock.
 */
export async function fanoutSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const { fanoutClients: clients, fanoutProcesses, fanoutRate: rate } = config;
  const server = await startSessionlogChild({
    db: join(dir, 'fanout.db'),
    durability: 'full',
    cpuProfileDir: config.cpuProfileDir,
  });
  const crowds = startCrowds(fanoutProcesses);
  try {
    progress(`fan-out: opening ${clients} WebSocket clients in ${fanoutProcesses} process(es)`);
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
    await openClients(crowds, wsUrl, clients, config.connectBatch);
    // An existing directory: the realpath, the checks and the watching are part of the cost.
    const body = JSON.stringify({ cwd: sessionsCwd(dir), name: 'bench' });
    progress('fan-out: warming up');
    const warm = await postSessionsAtRate(server.url, body, rate, WARMUP_MS);
    await awaitDeliveries(crowds, warm.sent.length * clients, SETTLE_MS);
    await Promise.all(crowds.map((crowd) => crowd.ask({ type: 'reset' }, 'progress')));
    server.mark();
    progress(`fan-out: ${rate} creations/s for ${config.fanoutMs / 1000} s`);
    const posted = await postSessionsAtRate(server.url, body, rate, config.fanoutMs);
    await awaitDeliveries(crowds, posted.sent.length * clients, SETTLE_MS);
    const lines = await report(server, crowds, posted, config);
    await closeClients(crowds);
    return lines;
  } finally {
    await stopCrowds(crowds);
    await server.stop();
  }
}

async function report(
  server: ServerChild,
  crowds: readonly Crowd[],
  posted: PostedSessions,
  config: BenchConfig,
): Promise<ReportLine[]> {
  const { busy: serverBusy } = await server.stats();
  const replies = await Promise.all(
    crowds.map((crowd) => crowd.ask({ type: 'latencies', sent: posted.sent }, 'latencies')),
  );
  const histogram = new LatencyHistogram();
  for (const reply of replies) histogram.add(reply.histogram);
  const sum = (pick: (reply: (typeof replies)[number]) => number) =>
    replies.reduce((total, reply) => total + pick(reply), 0);
  const expected = posted.sent.length * config.fanoutClients;
  const matched = sum((reply) => reply.matched);
  const one = (name: string, ms: number, target?: number): ReportLine => ({
    kind: 'figure',
    name,
    summary: summarize([ms]),
    unit: 'ms',
    ...(target === undefined ? {} : { target, ceiling: true }),
  });
  const count = (n: number) => n.toLocaleString('en-US');
  return [
    {
      kind: 'section',
      title: `Fan-out: POST → SessionStarted on ${count(config.fanoutClients)} WebSocket clients, ${config.fanoutRate} creations/s for ${config.fanoutMs / 1000} s (1 run, all deliveries)`,
    },
    one('latency p50', histogram.percentile(0.5)),
    one('latency p90', histogram.percentile(0.9)),
    one('latency p99', histogram.percentile(0.99), P99_TARGET_MS),
    one('latency max', histogram.max),
    {
      kind: 'note',
      text: `deliveries ${count(matched)} of ${count(expected)} expected (${count(expected - matched)} missing); out of order or doubled ${sum((r) => r.disorder)}; clients dropped by the server ${sum((r) => r.droppedByServer)}`,
    },
    {
      kind: 'note',
      text: `POSTs: ${count(posted.sent.length)} created, ${posted.failed} failed, ${posted.rate.toFixed(1)}/s sent, schedule lag at most ${posted.maxLagMs.toFixed(1)} ms`,
    },
    {
      kind: 'note',
      text: `event loop busy: server ${percent(serverBusy)}, client process(es) ${replies.map((r) => percent(r.busy)).join(', ')}`,
    },
  ];
}
