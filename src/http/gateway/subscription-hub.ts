import type { AnyEvent, Envelope } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { connectionBudget, connectionSlots } from './connection-budget.js';
import { type BufferStats, bufferStats, type Subscription } from './subscription.js';
import type { SubscriptionObserver, Transport } from './subscription-observer.js';

export interface HubOptions {
  store: Pick<EventStore<AnyEvent>, 'head' | 'subscribe'>;
  /**
   * Subscriptions open at once, over every transport, and from one client; past either a
   * client is refused (4429, or 429 for an event stream). Default: what the process's
   * descriptors allow (connection-budget.ts).
   */
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  /** SPEC: a heartbeat every 15 s when nothing else was sent. */
  heartbeatMs?: number;
  /** Under load, commits within this many milliseconds reach a client in one write (30 ms: as
   * quick at the median as 10 or 20 ms on the fan-out bench, with a quarter less CPU), or
   * more when fanning out takes long (FAN_OUT_REST). */
  liveBatchMs?: number;
  /** Told of resumes, replays, resets and slow consumers closed (metrics, logs). */
  observer?: SubscriptionObserver;
}

/**
 * A fan-out holds the event loop for one socket write per client (~10 µs each on loopback,
 * most of it in the kernel: 10–25 ms for a thousand clients on 2 cores). After one that took
 * long, the next waits as long as it took, so that fanning out takes at most half the loop:
 * the rest stays for appends and reads, and under load commits gather into fewer, larger
 * writes instead of the fan-outs following each other back to back (without the rest, a
 * server on a slower machine fell behind in 25 of 30 rounds and spent twice the CPU per
 * delivery). The factor trades CPU per delivery for latency. The cpu suite's fan-out, 1,000
 * clients at 200 commits/s on 2 cores: resting twice as long as a fan-out took, 1.85 µs per
 * delivery and a p99 of 61 ms; as long, 2.07 µs and 44 ms; not at all, 2.06 µs and 44 ms.
 */
const FAN_OUT_REST = 1;
/** A fan-out that stalled (a long collection, say) delays the next by this much at most. */
const MAX_FAN_OUT_REST_MS = 250;

/**
 * Every open subscription, WebSocket and Server-Sent Events alike, fed from one
 * subscription to the store: each commit fans out to all of them, and one ticker sends
 * their heartbeats and ends those stuck behind a full buffer.
 */
export async function createSubscriptionHub(options: HubOptions) {
  const budget = connectionBudget();
  const {
    store,
    maxConnections = budget.subscriptions,
    maxConnectionsPerClient = budget.perClient,
    heartbeatMs = 15_000,
    liveBatchMs = 30,
  } = options;
  // Each subscription with the client it counts against (clientOf). The places are shared
  // with the Durable Streams' live reads (they take theirs through `slots`).
  const subscriptions = new Map<Subscription, string>();
  const slots = connectionSlots(maxConnections, maxConnectionsPerClient);
  // Kept current by the commits themselves, so that accepting a client needs no await (and
  // no commit can slip between reading the head and subscribing).
  let head = await store.head();
  let closing = false;

  // Commits fan out at once when the log is quiet; under load, those that follow within
  // `liveBatchMs` go out together, so that each client gets one write for several commits
  // (a write per client per commit is what saturates a server with a thousand clients).
  let pending: Envelope<AnyEvent>[] = [];
  let fanOutTimer: NodeJS.Timeout | undefined;
  let nextFanOut = 0;
  const fanOut = () => {
    fanOutTimer = undefined;
    const started = performance.now();
    const events = pending;
    pending = [];
    for (const subscription of subscriptions.keys()) subscription.onCommit(events);
    const ended = performance.now();
    const rest = Math.min(FAN_OUT_REST * (ended - started), MAX_FAN_OUT_REST_MS);
    nextFanOut = Math.max(started + liveBatchMs, ended + rest);
  };
  const unsubscribe = store.subscribe((events) => {
    head = Math.max(head, events.at(-1)?.position ?? head);
    pending = pending.length === 0 ? [...events] : pending.concat(events);
    if (fanOutTimer !== undefined) return;
    const wait = nextFanOut - performance.now();
    if (wait <= 0) fanOut();
    else fanOutTimer = setTimeout(fanOut, wait);
  });
  const ticker = setInterval(
    () => {
      const now = Date.now();
      for (const subscription of subscriptions.keys()) subscription.tick(now, heartbeatMs, head);
    },
    Math.min(1000, heartbeatMs),
  ).unref();

  return {
    /** The highest committed position, as of the last commit. */
    get head(): number {
      return head;
    },
    /**
     * The log's head as the store tells it now. On a log shared by several nodes it can be
     * ahead of the commits this node has heard of; subscriptions then read up to it.
     */
    async freshHead(): Promise<number> {
      head = Math.max(head, await store.head());
      return head;
    },
    /** True once the server is shutting down: new subscriptions are refused (503). */
    get closing(): boolean {
      return closing;
    },
    /** Why another subscription from `client` would be refused, or undefined. */
    refusal: (client: string): string | undefined => slots.refusal(client),
    /** The places every live reader takes, subscriptions and Durable Streams live reads. */
    slots,
    /** Feeds a subscription from the next commit on; call `start()` on it afterwards. */
    add(subscription: Subscription, client: string): void {
      if (subscriptions.has(subscription)) return;
      subscriptions.set(subscription, client);
      slots.take(client);
    },
    delete(subscription: Subscription): void {
      const client = subscriptions.get(subscription);
      if (client === undefined) return;
      subscriptions.delete(subscription);
      slots.give(client);
    },
    /** Every open subscription, over both transports. */
    stats: (): BufferStats => bufferStats(subscriptions.keys()),
    /** Open subscriptions and their buffered bytes, by transport. */
    byTransport(): Record<Transport, { connections: number; buffered: number }> {
      const stats = { ws: { connections: 0, buffered: 0 }, sse: { connections: 0, buffered: 0 } };
      for (const subscription of subscriptions.keys()) {
        const one = stats[subscription.transport];
        one.connections++;
        one.buffered += subscription.buffered;
      }
      return stats;
    },
    observer: options.observer,
    /**
     * Stops the fan-out and closes every subscription with 1001 (going away): WebSockets
     * start their close handshake, event streams end. Clients resume from their position.
     */
    close(): void {
      closing = true;
      unsubscribe();
      clearInterval(ticker);
      clearTimeout(fanOutTimer);
      for (const subscription of subscriptions.keys()) {
        subscription.close(CloseCode.goingAway, 'server shutting down');
      }
      for (const client of subscriptions.values()) slots.give(client);
      subscriptions.clear();
    },
  };
}

/** The hub a server's transports share. */
export type SubscriptionHub = Awaited<ReturnType<typeof createSubscriptionHub>>;
