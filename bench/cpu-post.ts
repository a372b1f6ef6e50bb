import { balancedOrders } from './balanced-order.js';
import type { BenchConfig } from './config.js';
import { type Load, load } from './http-suite.js';
import { progress } from './report.js';
import { type ServerChild, startBareHonoChild, startObservingChild } from './server-children.js';
import { sessionsCwd } from './temp-dir.js';

/** The servers the POST figures compare: the three sessionlog ones share a child process. */
export const POST_SERVERS = ['observed', 'unobserved', 'twin', 'bare'] as const;
export type PostServer = (typeof POST_SERVERS)[number];

/**
 * `POST /api/sessions` under autocannon against four servers: sessionlog as `serve` runs it
 * (logging at info into a file, metrics collected), the same with logging silent and no
 * metrics, its twin (the same again: their ratio is the method's own error, an A/A control for
 * the on/off ratio), and a bare Hono route parsing the same body. The three sessionlog servers
 * share one child process (observing-child.ts says why), the bare route has its own. Rounds
 * interleave the servers in balanced orders (balanced-order.ts), so that a noisy neighbour,
 * and what each server leaves behind for the next, blur each alike.
 */
export async function postRounds(
  dir: string,
  config: BenchConfig,
): Promise<Record<PostServer, Load[]>> {
  progress('cpu: starting sessionlog observed, unobserved and its twin, and the bare Hono route');
  const [sessionlog, bare] = await Promise.allSettled([
    startObservingChild(dir, 'cpu', config.cpuProfileDir),
    startBareHonoChild(),
  ]);
  try {
    if (sessionlog.status === 'rejected') throw sessionlog.reason;
    if (bare.status === 'rejected') throw bare.reason;
    const servers: Record<PostServer, ServerChild> = { ...sessionlog.value, bare: bare.value };
    // An existing directory, so that sessionlog does its realpath and checks (and watches it).
    const body = JSON.stringify({ cwd: sessionsCwd(dir), name: 'bench' });
    const loads: Record<PostServer, Load[]> = { observed: [], unobserved: [], twin: [], bare: [] };
    progress('cpu: warming up');
    for (const key of POST_SERVERS) await load(servers[key], body, config, config.httpWarmupMs);
    const orders = balancedOrders(POST_SERVERS);
    for (let round = 0; round < config.cpuRounds; round++) {
      progress(`cpu: POST round ${round + 1}/${config.cpuRounds}`);
      for (const key of orders[round % orders.length] as PostServer[]) {
        loads[key].push(await load(servers[key], body, config, config.cpuRoundMs));
      }
    }
    return loads;
  } finally {
    await Promise.all([
      sessionlog.status === 'fulfilled' ? sessionlog.value.observed.stop() : null,
      bare.status === 'fulfilled' ? bare.value.stop() : null,
    ]);
  }
}
