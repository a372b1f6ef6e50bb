import { Counter, Gauge, Registry } from 'prom-client';
import type { CommitObservation } from '../events/group-commit.js';
import { UPGRADE_REFUSALS } from '../http/gateway/upgrade-refusal.js';
import { HttpSeries } from './http-series.js';
import { PlainCounter, PlainHistogram } from './plain-series.js';

/** What the gauges read at scrape time (nothing on a hot path keeps them current). */
export interface MetricSources {
  head(): Promise<number>;
  /** The sessions projection's position (its checkpoint). */
  projectionPosition(): Promise<number>;
  /** Open subscriptions and their buffered bytes, by transport (ws, sse, streams). */
  subscriptions(): Record<string, { connections: number; buffered: number }>;
  /** Directories watched now. */
  watchers(): number;
  /** PostgreSQL only: the position this node's tail has delivered, and its reconnects. */
  pgTail?(): { delivered: number; reconnects: number };
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/**
 * Every series a server exposes at `GET /metrics`, in a registry of its own (several servers
 * run in one test process; prom-client's global registry would mix them). Counters and
 * histograms are moved by the parts' observers; gauges are read from `sources` at scrape.
 */
export class Metrics {
  readonly registry = new Registry();
  #sources: MetricSources | undefined;
  #pgReconnects = 0;

  // Moved on every commit: in plain numbers (plain-series.ts), not prom-client's own.
  /** By event type: `labels({ type })`. */
  readonly eventsAppended = new PlainCounter(this.registry, {
    name: 'sessionlog_events_appended_total',
    help: 'Events committed to the log by this node, by event type',
  });
  readonly commitSeconds = new PlainHistogram(this.registry, {
    name: 'sessionlog_commit_duration_seconds',
    help: 'Time to write one group commit (a batch of appends), until it is durable',
    bounds: LATENCY_BUCKETS,
  });
  readonly commitBatch = new PlainHistogram(this.registry, {
    name: 'sessionlog_commit_batch_size',
    help: 'Appends committed together by one group commit',
    bounds: BATCH_BUCKETS,
  });
  readonly subscriptionsResumed = new Counter({
    name: 'sessionlog_subscription_resumes_total',
    help: 'Subscriptions opened with a position to resume after, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly eventsReplayed = new Counter({
    name: 'sessionlog_events_replayed_total',
    help: 'Events read back from the log for subscribers (replay and catch-up), by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly resets = new Counter({
    name: 'sessionlog_subscription_resets_total',
    help: 'Subscriptions told to reset (4409), by transport and reason (other-log, beyond-head)',
    labelNames: ['transport', 'reason'] as const,
    registers: [this.registry],
  });
  readonly slowConsumerCloses = new Counter({
    name: 'sessionlog_slow_consumer_closes_total',
    help: 'Subscribers closed for reading too slowly (4408), by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly wsUpgradesRefused = new Counter({
    name: 'sessionlog_ws_upgrades_refused_total',
    help: 'WebSocket upgrades (/ws) refused before a subscription existed, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  /** HTTP requests by method, route and status, and their latency by method and route. */
  readonly http = new HttpSeries(
    this.registry,
    {
      requests: 'sessionlog_http_requests_total',
      seconds: 'sessionlog_http_request_duration_seconds',
    },
    {
      requests: 'HTTP requests answered, by method, route pattern and status',
      seconds:
        'Time to answer an HTTP request (to its headers for streamed answers), by method and route pattern',
    },
    HTTP_BUCKETS,
  );
  readonly watchFailed = new Counter({
    name: 'sessionlog_watch_failed_total',
    help: 'WatchFailed events committed by this node, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    const metrics = this;
    // Every reason from the start, at 0: a rate over a series that appears on first use
    // misses that first refusal.
    for (const reason of UPGRADE_REFUSALS) this.wsUpgradesRefused.inc({ reason }, 0);
    new Gauge({
      name: 'sessionlog_log_head',
      help: 'The highest committed position of the log',
      registers: [this.registry],
      async collect() {
        if (metrics.#sources) this.set(await metrics.#sources.head());
      },
    });
    new Gauge({
      name: 'sessionlog_projection_position',
      help: 'The position the sessions projection has applied',
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        if (metrics.#sources)
          this.set({ projection: 'sessions' }, await metrics.#sources.projectionPosition());
      },
    });
    new Gauge({
      name: 'sessionlog_projection_lag',
      help: 'Positions the sessions projection is behind the head',
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        const sources = metrics.#sources;
        if (sources === undefined) return;
        const [head, position] = await Promise.all([sources.head(), sources.projectionPosition()]);
        this.set({ projection: 'sessions' }, Math.max(0, head - position));
      },
    });
    new Gauge({
      name: 'sessionlog_subscriptions_open',
      help: 'Open subscriptions by transport (ws, sse; streams-long-poll, streams-sse: Durable Streams live reads)',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        const open = metrics.#sources?.subscriptions() ?? {};
        for (const [transport, { connections }] of Object.entries(open))
          this.set({ transport }, connections);
      },
    });
    new Gauge({
      name: 'sessionlog_subscription_buffered_bytes',
      help: 'Bytes accepted for subscribers but not yet written to the network, by transport',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        const open = metrics.#sources?.subscriptions() ?? {};
        for (const [transport, { buffered }] of Object.entries(open))
          this.set({ transport }, buffered);
      },
    });
    new Gauge({
      name: 'sessionlog_watchers_open',
      help: 'Directories being watched',
      registers: [this.registry],
      collect() {
        if (metrics.#sources) this.set(metrics.#sources.watchers());
      },
    });
  }

  /** Where the gauges read from, once the server's parts exist. */
  attach(sources: MetricSources): void {
    this.#sources = sources;
    if (sources.pgTail !== undefined) this.#registerPgTail();
  }

  /** PostgreSQL's series, only on a server that has a tail to follow. */
  #registerPgTail(): void {
    const metrics = this;
    new Gauge({
      name: 'sessionlog_pg_tail_lag',
      help: 'PostgreSQL: positions the log head is ahead of what this node has delivered',
      registers: [this.registry],
      async collect() {
        const sources = metrics.#sources;
        if (sources?.pgTail === undefined) return;
        const head = await sources.head();
        this.set(Math.max(0, head - sources.pgTail().delivered));
      },
    });
    new Counter({
      name: 'sessionlog_pg_tail_reconnects_total',
      help: 'PostgreSQL: times the notification (LISTEN) connection was made again',
      registers: [this.registry],
      collect() {
        const tail = metrics.#sources?.pgTail?.();
        if (tail === undefined) return;
        this.inc(tail.reconnects - metrics.#pgReconnects);
        metrics.#pgReconnects = tail.reconnects;
      },
    });
  }

  /** The group commit's observer (the core's hook, see GroupCommit). */
  readonly onCommit = ({ batchSize, ms }: CommitObservation): void => {
    this.commitBatch.observe(batchSize);
    this.commitSeconds.observe(ms / 1000);
  };

  /** The text format Prometheus scrapes. */
  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
