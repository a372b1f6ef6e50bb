import { join } from 'node:path';
import autocannon from 'autocannon';
import type { BenchConfig } from './config.js';
import { percent, progress, type ReportLine } from './report.js';
import { type ServerChild, startBareHonoChild, startSessionlogChild } from './server-children.js';
import { pairedRatios, summarize } from './stats.js';
import { sessionsCwd } from './temp-dir.js';

export interface Load {
  /** 2xx answers per second: a request that failed is no throughput. */
  rate: number;
  /** The server's CPU time (all threads) per answer, µs. */
  cpuPerRequest: number;
  /** The share of it spent in the kernel (0–1). */
  cpuSystemShare: number;
  latencyP99: number;
  /** How busy the server's event loop was: near 1, the server (not autocannon) was the limit. */
  busy: number;
  non2xx: number;
  errors: number;
}

/** One autocannon run against `server`: `connections` keep-alive clients POSTing `body`. */
export async function load(server: ServerChild, body: string, config: BenchConfig, ms: number) {
  server.mark();
  const result = await autocannon({
    url: `${server.url}/api/sessions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: config.httpConnections,
    duration: ms / 1000,
  });
  const { busy, cpuMicros, cpuSystemMicros } = await server.stats();
  return {
    rate: result['2xx'] / result.duration,
    cpuPerRequest: cpuMicros / Math.max(1, result['2xx'] + result.non2xx),
    cpuSystemShare: cpuSystemMicros / Math.max(1, cpuMicros),
    latencyP99: result.latency.p99,
    busy,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  } satisfies Load;
}

/**
 * `POST /api/sessions` under autocannon: sessionlog (durable appends, no rate limit, default
 * security) beside a bare Hono route that parses the same body, each server in a child
 * process so that autocannon, here, has its own core. Rounds alternate the two servers, in an
 * order that swaps from round to round, and the ratio is sessionlog / bare.
 */
export async function httpSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  progress('HTTP: starting sessionlog (durability full) and the bare Hono route');
  const servers = await Promise.allSettled([
    startSessionlogChild({
      db: join(dir, 'http.db'),
      durability: 'full',
      cpuProfileDir: config.cpuProfileDir,
    }),
    startBareHonoChild(),
  ]);
  try {
    const [sessionlog, bare] = servers.map((settled) => {
      if (settled.status === 'rejected') throw settled.reason;
      return settled.value;
    }) as [ServerChild, ServerChild];
    // An existing directory, so that sessionlog does its realpath and checks (and watches it).
    const body = JSON.stringify({ cwd: sessionsCwd(dir), name: 'bench' });
    const figures = { sessionlog, bare };
    const keys = ['sessionlog', 'bare'] as const;
    const loads = { sessionlog: [] as Load[], bare: [] as Load[] };
    progress('HTTP: warming up');
    for (const key of keys) await load(figures[key], body, config, config.httpWarmupMs);
    for (let round = 0; round < config.httpRounds; round++) {
      progress(`HTTP round ${round + 1}/${config.httpRounds}`);
      const order = round % 2 === 0 ? keys : [...keys].reverse();
      for (const key of order) {
        loads[key].push(await load(figures[key], body, config, config.httpRoundMs));
      }
    }
    return report(loads, config);
  } finally {
    await Promise.all(
      servers.map((settled) => (settled.status === 'fulfilled' ? settled.value.stop() : null)),
    );
  }
}

function report(loads: { sessionlog: Load[]; bare: Load[] }, config: BenchConfig): ReportLine[] {
  const rates = (key: keyof typeof loads) => loads[key].map((l) => l.rate);
  const of = (key: keyof typeof loads, pick: (load: Load) => number) =>
    summarize(loads[key].map(pick));
  const failures = (key: keyof typeof loads) => {
    const non2xx = loads[key].reduce((sum, l) => sum + l.non2xx, 0);
    const errors = loads[key].reduce((sum, l) => sum + l.errors, 0);
    return `${key}: ${non2xx} non-2xx, ${errors} errors/timeouts`;
  };
  const seconds = config.httpRoundMs / 1000;
  return [
    {
      kind: 'section',
      title: `HTTP: POST /api/sessions, ${config.httpConnections} connections (autocannon), ${config.httpRounds} rounds of ${seconds} s`,
    },
    {
      kind: 'figure',
      name: 'sessionlog, durability full',
      summary: of('sessionlog', (l) => l.rate),
      unit: 'req/s',
    },
    {
      kind: 'figure',
      name: 'bare Hono route (same body)',
      summary: of('bare', (l) => l.rate),
      unit: 'req/s',
    },
    {
      kind: 'figure',
      name: 'sessionlog latency p99',
      summary: of('sessionlog', (l) => l.latencyP99),
      unit: 'ms',
    },
    {
      kind: 'figure',
      name: 'bare Hono latency p99',
      summary: of('bare', (l) => l.latencyP99),
      unit: 'ms',
    },
    {
      kind: 'ratio',
      name: 'sessionlog / bare Hono',
      ratio: summarize(rates('sessionlog')).median / summarize(rates('bare')).median,
      perRound: summarize(pairedRatios(rates('sessionlog'), rates('bare'))),
      target: 0.4,
    },
    {
      kind: 'note',
      text: `failed requests (all rounds; must be 0): ${failures('sessionlog')}; ${failures('bare')}`,
    },
    {
      kind: 'note',
      text: `server event loop busy (median): sessionlog ${percent(of('sessionlog', (l) => l.busy).median)}, bare ${percent(of('bare', (l) => l.busy).median)}`,
    },
  ];
}
