import { join } from 'node:path';
import { Hono } from 'hono';
import type { AnyEvent, Envelope } from '../src/events/envelope.js';
import { requestId } from '../src/http/request-id.js';
import { requestLog } from '../src/http/request-log.js';
import { createLogger, type Logger, logDestination } from '../src/observe/logger.js';
import { Metrics } from '../src/observe/metrics.js';
import { commitCounter } from '../src/observe/observers.js';
import { medianInterval, type Summary, summarize } from './stats.js';

/**
 * Requests per block, and pairs of blocks (one observed, one not). A block is a few ms: this
 * machine's cores change speed from one tens of ms to the next (a fixed loop's CPU time moves
 * by a quarter between two 40 ms runs, by 3 % between two 4 ms ones), so only blocks that
 * short, side by side, see the same machine.
 */
const BLOCK = 40;
const PAIRS = 600;

/**
 * What logging and metrics add to one `POST /api/sessions`, measured in this process where
 * nothing else blurs it: the server's own observation code (the request log's line through
 * pino's asynchronous writer into a real file, and the request's counter and latency
 * histogram; the commit's events counted by type and the group commit's batch and latency
 * observed) around a route that does nothing else, against the same with logging silent and
 * no metrics. Process CPU time (all threads: the log's writes happen on libuv's), per request.
 * Blocks alternate observed, unobserved, unobserved, observed, …: each side follows each side
 * as often, so neither always pays for the other's garbage or pending writes. The cost is the
 * median of the pairs' differences, with its 90 % confidence interval.
 *
 * The end-to-end figure (servers in child processes under autocannon, cpu-post.ts) measures
 * the same thing inside the noise of two shared cores; this one isolates it.
 */
export async function observationCost(dir: string): Promise<{
  observed: Summary;
  unobserved: Summary;
  /** Microseconds of CPU that logging and metrics add to one request: median of the pairs. */
  costMicros: number;
  interval: { low: number; high: number };
  pairs: number;
  block: number;
}> {
  // Written as serve writes its log (logger.ts), into a file.
  const destination = logDestination(join(dir, 'observe-cost.log'));
  const sides = {
    observed: app(createLogger({ destination }), new Metrics()),
    unobserved: app(createLogger({ level: 'silent' }), undefined),
  };
  const samples: Record<keyof typeof sides, number[]> = { observed: [], unobserved: [] };
  const body = JSON.stringify({ cwd: '/tmp', name: 'bench' });
  const block = async (side: keyof typeof sides, requests: number) => {
    const started = process.cpuUsage();
    for (let i = 0; i < requests; i++) {
      const answer = await sides[side].request('/api/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await answer.arrayBuffer();
    }
    const used = process.cpuUsage(started);
    samples[side].push((used.user + used.system) / requests);
  };
  // A warm-up of each, unrecorded: the JIT, the log file's first writes.
  await block('observed', 4000);
  await block('unobserved', 4000);
  samples.observed.length = 0;
  samples.unobserved.length = 0;
  for (let i = 0; i < PAIRS; i++) {
    const order =
      i % 2 === 0 ? (['observed', 'unobserved'] as const) : (['unobserved', 'observed'] as const);
    for (const side of order) await block(side, BLOCK);
  }
  await new Promise<void>((resolve) => destination.flush(() => resolve()));
  destination.end();
  const differences = samples.observed.map((value, i) => value - (samples.unobserved[i] as number));
  return {
    observed: summarize(samples.observed),
    unobserved: summarize(samples.unobserved),
    costMicros: summarize(differences).median,
    interval: medianInterval(differences),
    pairs: PAIRS,
    block: BLOCK,
  };
}

/**
 * The server's middleware that observes (request id, request log), a route that appends one
 * event in the observers' eyes (commit counted, batch observed) and answers as a created
 * session does.
 */
function app(logger: Logger, metrics: Metrics | undefined): Hono {
  const counting = commitCounter(metrics, logger);
  const app = new Hono();
  app.use(requestId());
  app.use(requestLog({ logger, metrics }));
  let position = 0;
  app.post('/api/sessions', async (c) => {
    const input = (await c.req.json()) as { cwd: string; name: string };
    position++;
    const event = {
      position,
      type: 'SessionStarted',
      stream: `session-${position}`,
      data: input,
    } as unknown as Envelope<AnyEvent>;
    counting([event]);
    metrics?.onCommit({ batchSize: 1, events: 1, ms: 1 });
    c.set('written', position);
    return c.json({ session: { id: event.stream, ...input }, position }, 201);
  });
  return app;
}
