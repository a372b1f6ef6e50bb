import { dirname } from 'node:path';
import { runServer } from '../src/server.js';
import { auditFigure } from './audit-figure.js';
import type { BigLog } from './big-log.js';
import type { BenchConfig } from './config.js';
import { progress, type ReportLine } from './report.js';
import { summarize } from './stats.js';

/** Requests per route: the report gives their median and spread, in milliseconds. */
const REQUESTS = 200;

/**
 * `GET /api/checkpoint` and each proof on the big log, served from its file as `serve` would
 * (the tree stored with the log), timed from the client over a real socket, one request at a
 * time: the cost of O(log n) node reads, a signature and the HTTP round trip.
 */
export async function checkpointSuite(log: BigLog, config: BenchConfig): Promise<ReportLine[]> {
  const server = await runServer({ db: log.file, port: 0, maxWatchers: 0, durability: 'normal' });
  try {
    const head = await server.log.store.head();
    let seed = 16;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const time = async (path: () => string): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < REQUESTS + 20; i++) {
        const started = performance.now();
        const response = await fetch(`${server.url}${path()}`);
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${path()} answered ${response.status}`);
        if (i >= 20) samples.push(performance.now() - started); // the first ones warm up
      }
      return samples;
    };
    progress(`timing the checkpoint and proof routes at ${head.toLocaleString('en-US')} events`);
    const routes: [string, () => string][] = [
      ['GET /api/checkpoint', () => '/api/checkpoint'],
      [
        'GET /api/proof/inclusion (random P)',
        () => `/api/proof/inclusion?position=${1 + random(head)}`,
      ],
      [
        'GET /api/proof/consistency (random M)',
        () => `/api/proof/consistency?from=${1 + random(head)}`,
      ],
      ['GET /api/health (for scale: no tree)', () => '/api/health'],
    ];
    const lines: ReportLine[] = [
      {
        kind: 'section',
        title: `Checkpoints and proofs (${head.toLocaleString('en-US')} events, ${config.quick ? 'quick' : 'full'})`,
      },
    ];
    for (const [name, path] of routes) {
      lines.push({
        kind: 'figure',
        name,
        summary: summarize(await time(path)),
        unit: 'ms',
        ...(name.includes('health') ? {} : { target: 10, ceiling: true }),
      });
    }
    // Last: it appends to the big log.
    lines.push(...(await auditFigure(server, dirname(log.file))));
    return lines;
  } finally {
    await server.close();
  }
}
