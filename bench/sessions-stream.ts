/**
 * `npx tsx bench/sessions-stream.ts [events]`: the sessions-table Durable Stream
 * (`/streams/{logId}/sessions`) read from the start, chunk after chunk, on a log that is one
 * long session (plus a few short ones around it). Each chunk folds its events onto the rows
 * the previous chunk reached; the baseline (no row remembered) folds the long session from its
 * start again in every chunk, as the stream did before. Same log, same run: medians of 3.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionRowMemo, sessionsTableSource } from '../src/http/streams/sessions-changes.js';
import { readChunk } from '../src/http/streams/stream-source.js';
import { tailSignal } from '../src/http/streams/tail-signal.js';
import { createLogger } from '../src/observe/logger.js';
import { runServer } from '../src/server.js';

const events = Number(process.argv[2] ?? 50_000);
const dir = mkdtempSync(join(tmpdir(), 'sessionlog-bench-stream-'));
const server = await runServer({
  db: join(dir, 'log.db'),
  port: 0,
  maxWatchers: 0,
  durability: 'normal',
  logger: createLogger({ level: 'silent' }),
});
try {
  const { store } = server.log;
  const started = { cwd: '/tmp', hostname: 'h', platform: 'linux' };
  const change = {
    type: 'FileChanged' as const,
    data: { change: 'modified' as const, path: 'a.txt', kind: 'file' as const },
  };
  await store.append('long', [{ type: 'SessionStarted', data: started }]);
  for (let done = 1; done < events; done += 1000) {
    await store.append(
      'long',
      Array.from({ length: Math.min(1000, events - done) }, () => change),
    );
    await store.append(`short-${done}`, [{ type: 'SessionStarted', data: started }]);
  }
  const head = await store.head();

  const readAll = async (remember: boolean) => {
    const rows = remember ? sessionRowMemo() : sessionRowMemo(0);
    const source = sessionsTableSource(store, tailSignal(), rows);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    let messages = 0;
    for (let after = 0; after < head; ) {
      const chunk = await readChunk(source, after, head);
      messages += chunk.messages.length;
      after = chunk.end;
    }
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - t0, cpuMs: (used.user + used.system) / 1000, messages };
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[1] ?? 0;
  const runs = { before: [] as number[], after: [] as number[] };
  const cpu = { before: [] as number[], after: [] as number[] };
  for (let round = 0; round < 3; round++) {
    const b = await readAll(false);
    const a = await readAll(true);
    if (a.messages !== b.messages) throw new Error('the two reads disagree');
    runs.before.push(b.ms);
    runs.after.push(a.ms);
    cpu.before.push(b.cpuMs);
    cpu.after.push(a.cpuMs);
  }
  const line = (name: keyof typeof runs) =>
    `${name.padEnd(7)} ${median(runs[name]).toFixed(0).padStart(7)} ms  cpu ${median(cpu[name]).toFixed(0).padStart(7)} ms`;
  console.log(`sessions stream from -1 to the head, ${head} positions, one session of ${events}`);
  console.log(line('before'));
  console.log(line('after'));
  console.log(`ratio   ${(median(runs.before) / median(runs.after)).toFixed(1)}x`);
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
