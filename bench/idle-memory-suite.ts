import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeClients, openClients, startCrowds, stopCrowds } from './client-crowds.js';
import type { BenchConfig } from './config.js';
import { progress, type ReportLine } from './report.js';
import { startSessionlogChild } from './server-children.js';
import { summarize } from './stats.js';

/** The target (README, Performance): resident memory per idle WebSocket, in KiB. */
const TARGET_KIB = 30;
/** Time for the server to finish its per-connection work (replay to `live`, timers). */
const SETTLE_MS = 2000;
/** Connections opened and closed before the baseline: lazy code and buffers load then. */
const WARMUP_CONNECTIONS = 500;

/**
 * What an idle `/ws` connection costs the server: its resident set size and V8 heap after a
 * full GC, before and after opening many idle clients (from a client child process: each side
 * holds one socket per connection, under its own open-files limit).
 */
export async function idleMemorySuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const n = config.idleConnections;
  const server = await startSessionlogChild({
    db: join(dir, 'idle.db'),
    durability: 'normal',
    exposeGc: true,
  });
  const crowds = startCrowds(1);
  try {
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
    await openClients(crowds, wsUrl, WARMUP_CONNECTIONS, config.connectBatch);
    await closeClients(crowds);
    await sleep(SETTLE_MS);
    const before = await server.stats(true);
    progress(`memory: opening ${n.toLocaleString('en-US')} idle WebSocket clients`);
    await openClients(crowds, wsUrl, n, config.connectBatch);
    await sleep(SETTLE_MS);
    const after = await server.stats(true);
    progress('memory: closing them');
    await closeClients(crowds);
    const perConnection = (bytes: number) => summarize([bytes / n / 1024]);
    return [
      {
        kind: 'section',
        title: `Idle WebSockets: server memory at ${n.toLocaleString('en-US')} connections (after a full GC)`,
      },
      {
        kind: 'figure',
        name: 'RSS per connection',
        summary: perConnection(after.rss - before.rss),
        unit: 'KiB',
        target: TARGET_KIB,
        ceiling: true,
      },
      {
        kind: 'figure',
        name: 'V8 heap used per connection',
        summary: perConnection(after.heapUsed - before.heapUsed),
        unit: 'KiB',
      },
      {
        kind: 'figure',
        name: 'external (Buffers, native) per connection',
        summary: perConnection(after.external - before.external),
        unit: 'KiB',
      },
      {
        kind: 'note',
        text: `server RSS ${mib(before.rss)} → ${mib(after.rss)} MiB, heap used ${mib(before.heapUsed)} → ${mib(after.heapUsed)} MiB`,
      },
    ];
  } finally {
    await stopCrowds(crowds);
    await server.stop();
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
