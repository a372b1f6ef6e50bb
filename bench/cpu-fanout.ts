import type { BenchConfig } from './config.js';
import { type Delivery, measureDelivery } from './delivery.js';
import { progress } from './report.js';
import { startObservingChild } from './server-children.js';
import { sessionsCwd } from './temp-dir.js';

export const FANOUT_SERVERS = ['observed', 'unobserved'] as const;
export type FanoutServer = (typeof FANOUT_SERVERS)[number];

/**
 * POST → delivery runs (fanout-suite.ts's: sessions created at a steady rate, every event to
 * every WebSocket client, the clients in their own processes) against sessionlog as `serve`
 * runs it and against the same with logging silent and no metrics, both in one process
 * (observing-child.ts says why), rounds alternating the two in an order that swaps from round
 * to round.
 */
export async function fanoutRounds(
  dir: string,
  config: BenchConfig,
): Promise<Record<FanoutServer, Delivery[]>> {
  const servers = await startObservingChild(dir, 'cpu-fanout', config.cpuProfileDir);
  try {
    const body = JSON.stringify({ cwd: sessionsCwd(dir), name: 'bench' });
    const runs: Record<FanoutServer, Delivery[]> = { observed: [], unobserved: [] };
    for (let round = 0; round < config.cpuFanoutRounds; round++) {
      const order = round % 2 === 0 ? FANOUT_SERVERS : [...FANOUT_SERVERS].reverse();
      for (const key of order) {
        progress(
          `cpu: fan-out round ${round + 1}/${config.cpuFanoutRounds}, ${key}: ${config.fanoutClients} clients, ${config.fanoutRate} creations/s`,
        );
        runs[key].push(
          await measureDelivery({
            postTo: servers[key],
            deliverFrom: servers[key],
            clients: config.fanoutClients,
            processes: config.fanoutProcesses,
            connectBatch: config.connectBatch,
            rate: config.fanoutRate,
            ms: config.fanoutMs,
            body,
          }),
        );
      }
    }
    return runs;
  } finally {
    await servers.observed.stop();
  }
}

/** The server's CPU time per event delivered to one client, µs. */
export function cpuPerDelivery(run: Delivery): number {
  return run.cpuMicros.deliverFrom / Math.max(1, run.events);
}
