import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import { type Delivery, measureDelivery } from './delivery.js';
import { percent, progress, type ReportLine } from './report.js';
import { startSessionlogChild } from './server-children.js';
import { summarize } from './stats.js';
import { sessionsCwd } from './temp-dir.js';

/** The target for the 99th percentile of POST → delivery, in ms (README, Performance). */
const P99_TARGET_MS = 50;

/**
 * Latency from `POST /api/sessions` to the SessionStarted event on every one of many connected
 * WebSocket clients (subscribed from the head), at a steady creation rate. The server, the
 * clients and the POSTing bench are separate processes reading one wall clock.
 */
export async function fanoutSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const { fanoutClients: clients, fanoutProcesses: processes, fanoutRate: rate } = config;
  const server = await startSessionlogChild({
    db: join(dir, 'fanout.db'),
    durability: 'full',
    cpuProfileDir: config.cpuProfileDir,
  });
  try {
    progress(
      `fan-out: ${clients} WebSocket clients in ${processes} process(es), ${rate} creations/s`,
    );
    const delivery = await measureDelivery({
      postTo: server,
      deliverFrom: server,
      clients,
      processes,
      connectBatch: config.connectBatch,
      rate,
      ms: config.fanoutMs,
      // An existing directory: the realpath, the checks and the watching are part of the cost.
      body: JSON.stringify({ cwd: sessionsCwd(dir), name: 'bench' }),
    });
    return report(delivery, config);
  } finally {
    await server.stop();
  }
}

function report(delivery: Delivery, config: BenchConfig): ReportLine[] {
  const { histogram, posted, expected, matched, disorder, dropped, busy } = delivery;
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
      text: `deliveries ${count(matched)} of ${count(expected)} expected (${count(expected - matched)} missing); out of order or doubled ${disorder}; clients dropped by the server ${dropped}`,
    },
    {
      kind: 'note',
      text: `POSTs: ${count(posted.sent.length)} created, ${posted.failed} failed, ${posted.rate.toFixed(1)}/s sent, schedule lag at most ${posted.maxLagMs.toFixed(1)} ms`,
    },
    {
      kind: 'note',
      text: `event loop busy: server ${percent(busy.deliverFrom)}, client process(es) ${busy.clients.map(percent).join(', ')}`,
    },
  ];
}
