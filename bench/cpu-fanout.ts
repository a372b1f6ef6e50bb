import { balancedOrders } from './balanced-order.js';
import type { BenchConfig } from './config.js';
import { type Delivery, type DeliveryClients, openDelivery } from './delivery.js';
import { progress } from './report.js';
import { startObservingChild } from './server-children.js';
import { sessionsCwd } from './temp-dir.js';

export const FANOUT_SERVERS = ['observed', 'unobserved', 'twin'] as const;
export type FanoutServer = (typeof FANOUT_SERVERS)[number];

/**
 * POST → delivery (fanout-suite.ts's: sessions created at a steady rate, every event to every
 * WebSocket client, the clients in their own processes) against sessionlog as `serve` runs it
 * and against the same with logging silent and no metrics, and its twin (the A/A control), all
 * in one process (observing-child.ts says why). Each server keeps its clients for the whole
 * run, and short stretches take turns in balanced orders (balanced-order.ts): the machine's
 * speed moves from one second to the next, and the stretches of a round are side by side.
 */
export async function fanoutRounds(
  dir: string,
  config: BenchConfig,
): Promise<Record<FanoutServer, Delivery[]>> {
  const servers = await startObservingChild(dir, 'cpu-fanout', config.cpuProfileDir);
  const opened: Partial<Record<FanoutServer, DeliveryClients>> = {};
  try {
    const body = JSON.stringify({ cwd: sessionsCwd(dir), name: 'bench' });
    for (const key of FANOUT_SERVERS) {
      progress(`cpu: fan-out, ${config.fanoutClients} clients on ${key}`);
      opened[key] = await openDelivery({
        postTo: servers[key],
        deliverFrom: servers[key],
        clients: config.fanoutClients,
        processes: config.fanoutProcesses,
        connectBatch: config.connectBatch,
        rate: config.fanoutRate,
        body,
      });
    }
    const runs: Record<FanoutServer, Delivery[]> = { observed: [], unobserved: [], twin: [] };
    const orders = balancedOrders(FANOUT_SERVERS);
    for (let round = 0; round < config.cpuFanoutRounds; round++) {
      progress(
        `cpu: fan-out round ${round + 1}/${config.cpuFanoutRounds}: ${config.fanoutRate} creations/s for ${config.cpuFanoutMs / 1000} s on each`,
      );
      for (const key of orders[round % orders.length] as FanoutServer[]) {
        runs[key].push(await (opened[key] as DeliveryClients).measure(config.cpuFanoutMs));
      }
    }
    return runs;
  } finally {
    try {
      for (const clients of Object.values(opened)) await clients.close();
    } finally {
      await servers.observed.stop();
    }
  }
}

/** The server's CPU time per event delivered to one client, µs. */
export function cpuPerDelivery(run: Delivery): number {
  return run.cpuMicros.deliverFrom / Math.max(1, run.events);
}
