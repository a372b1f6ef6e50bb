import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import { type Load, load } from './http-suite.js';
import { progress } from './report.js';
import { type ServerChild, startBareHonoChild, startSessionlogChild } from './server-children.js';
import { sessionsCwd } from './temp-dir.js';

/** The servers the POST figures compare, each in its own child process. */
export const POST_SERVERS = ['observed', 'unobserved', 'twin', 'bare'] as const;
export type PostServer = (typeof POST_SERVERS)[number];

/**
 * `POST /api/sessions` under autocannon against four servers: sessionlog as `serve` runs it
 * (logging at info into a file, metrics collected), the same with logging silent and no
 * metrics, its twin (the same again, in a process of its own: their ratio is the method's own
 * error, an A/A control for the on/off ratio), and a bare Hono route parsing the same body.
 * Rounds interleave the servers in an order that rotates from round to round, so that a noisy
 * neighbour blurs each alike.
 */
export async function postRounds(
  dir: string,
  config: BenchConfig,
): Promise<Record<PostServer, Load[]>> {
  progress('cpu: starting sessionlog observed, unobserved and its twin, and the bare Hono route');
  const started = await Promise.allSettled([
    startSessionlogChild({
      db: join(dir, 'cpu-observed.db'),
      durability: 'full',
      cpuProfileDir: config.cpuProfileDir,
    }),
    ...['cpu-unobserved.db', 'cpu-twin.db'].map((file) =>
      startSessionlogChild({
        db: join(dir, file),
        durability: 'full',
        observed: false,
        cpuProfileDir: config.cpuProfileDir,
      }),
    ),
    startBareHonoChild(),
  ]);
  try {
    const servers = Object.fromEntries(
      started.map((settled, i) => {
        if (settled.status === 'rejected') throw settled.reason;
        return [POST_SERVERS[i], settled.value];
      }),
    ) as Record<PostServer, ServerChild>;
    // An existing directory, so that sessionlog does its realpath and checks (and watches it).
    const body = JSON.stringify({ cwd: sessionsCwd(dir), name: 'bench' });
    const loads: Record<PostServer, Load[]> = { observed: [], unobserved: [], twin: [], bare: [] };
    progress('cpu: warming up');
    for (const key of POST_SERVERS) await load(servers[key], body, config, config.httpWarmupMs);
    for (let round = 0; round < config.cpuRounds; round++) {
      progress(`cpu: POST round ${round + 1}/${config.cpuRounds}`);
      for (let i = 0; i < POST_SERVERS.length; i++) {
        const key = POST_SERVERS[(round + i) % POST_SERVERS.length] as PostServer;
        loads[key].push(await load(servers[key], body, config, config.cpuRoundMs));
      }
    }
    return loads;
  } finally {
    await Promise.all(
      started.map((settled) => (settled.status === 'fulfilled' ? settled.value.stop() : null)),
    );
  }
}
