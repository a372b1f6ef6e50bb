import {
  awaitDeliveries,
  type Crowd,
  closeClients,
  openClients,
  startCrowds,
  stopCrowds,
} from './client-crowds.js';
import { LatencyHistogram } from './latency-histogram.js';
import { type PostedSessions, postSessionsAtRate } from './post-at-rate.js';
import type { ServerChild } from './server-children.js';

/** Unrecorded creations first, so that the JIT and the page cache are warm. */
const WARMUP_MS = 1000;
/** How long deliveries may trail the last POST's answer before the rest counts as missing. */
const SETTLE_MS = 15_000;

export interface DeliveryRun {
  /** The node the sessions are POSTed to. */
  postTo: ServerChild;
  /** The node the WebSocket clients are connected to (the same one, or another of the log). */
  deliverFrom: ServerChild;
  clients: number;
  /** Client processes (ws-clients-child.ts) holding them. */
  processes: number;
  connectBatch: number;
  /** Session creations per second, for `ms`. */
  rate: number;
  ms: number;
  /** The POST body. */
  body: string;
}

export interface Delivery {
  histogram: LatencyHistogram;
  posted: PostedSessions;
  expected: number;
  matched: number;
  disorder: number;
  dropped: number;
  /** Event-loop busy share during the measured stretch: the POSTed node, the delivering node. */
  busy: { postTo: number; deliverFrom: number; clients: number[] };
  /** Events of any type the clients received in the measured stretch, all clients together. */
  events: number;
  /** CPU time each node spent in the measured stretch (all threads), µs. */
  cpuMicros: { postTo: number; deliverFrom: number };
  /** Of the delivering node's, the time in the kernel, µs. */
  cpuSystemMicros: number;
}

/**
 * Latency from `POST /api/sessions` (sent at a steady rate, open loop) to the SessionStarted
 * event on every WebSocket client of `deliverFrom`, subscribed from the head. The servers, the
 * clients and the POSTing bench are separate processes reading one wall clock.
 */
export async function measureDelivery(run: DeliveryRun): Promise<Delivery> {
  const clients = await openDelivery(run);
  try {
    return await clients.measure(run.ms);
  } finally {
    await clients.close();
  }
}

/** `run`'s clients, open and warmed up: measured over as many stretches as asked. */
export interface DeliveryClients {
  /** One stretch of `ms` of creations at `run.rate`, each delivered to every client. */
  measure(ms: number): Promise<Delivery>;
  close(): Promise<void>;
}

/** Opens `run`'s clients on `deliverFrom` and warms them up (`run.ms` is not used). */
export async function openDelivery(run: Omit<DeliveryRun, 'ms'>): Promise<DeliveryClients> {
  const crowds = startCrowds(run.processes);
  try {
    const wsUrl = `${run.deliverFrom.url.replace(/^http/, 'ws')}/ws`;
    await openClients(crowds, wsUrl, run.clients, run.connectBatch);
    const warm = await postSessionsAtRate(run.postTo.url, run.body, run.rate, WARMUP_MS);
    await awaitDeliveries(crowds, warm.sent.length * run.clients, SETTLE_MS);
  } catch (error) {
    await stopCrowds(crowds);
    throw error;
  }
  return {
    measure: async (ms) => {
      await Promise.all(crowds.map((crowd) => crowd.ask({ type: 'reset' }, 'progress')));
      run.postTo.mark();
      run.deliverFrom.mark();
      const posted = await postSessionsAtRate(run.postTo.url, run.body, run.rate, ms);
      await awaitDeliveries(crowds, posted.sent.length * run.clients, SETTLE_MS);
      const [postTo, deliverFrom] = await Promise.all([
        run.postTo.stats(),
        run.deliverFrom.stats(),
      ]);
      const { clientsBusy, ...delivered } = await gather(crowds, posted);
      return {
        ...delivered,
        posted,
        expected: posted.sent.length * run.clients,
        busy: { postTo: postTo.busy, deliverFrom: deliverFrom.busy, clients: clientsBusy },
        cpuMicros: { postTo: postTo.cpuMicros, deliverFrom: deliverFrom.cpuMicros },
        cpuSystemMicros: deliverFrom.cpuSystemMicros,
      };
    },
    close: async () => {
      try {
        await closeClients(crowds);
      } finally {
        await stopCrowds(crowds);
      }
    },
  };
}

/** The clients' arrival times, turned into latencies against the POSTs' send times. */
async function gather(crowds: readonly Crowd[], posted: PostedSessions) {
  const replies = await Promise.all(
    crowds.map((crowd) => crowd.ask({ type: 'latencies', sent: posted.sent }, 'latencies')),
  );
  const histogram = new LatencyHistogram();
  for (const reply of replies) histogram.add(reply.histogram);
  const sum = (pick: (reply: (typeof replies)[number]) => number) =>
    replies.reduce((total, reply) => total + pick(reply), 0);
  return {
    histogram,
    matched: sum((reply) => reply.matched),
    events: sum((reply) => reply.events),
    disorder: sum((reply) => reply.disorder),
    dropped: sum((reply) => reply.droppedByServer),
    clientsBusy: replies.map((reply) => reply.busy),
  };
}
