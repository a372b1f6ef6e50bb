import type { AnyEvent, Envelope } from '../events/envelope.js';
import type { SubscriptionObserver } from '../http/gateway/subscription-observer.js';
import type { UpgradeRefusalObserver } from '../http/gateway/upgrade-refusal.js';
import { WEBSOCKET_PATH } from '../protocol/subscription-url.js';
import { watchFailureReason } from '../watcher/watch-failures.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { CounterChild } from './plain-series.js';

/**
 * Listens to the log's commits: counts events by type and `WatchFailed` by reason, and logs
 * each watcher failure. A commit adds to the counter once per run of events of one type (a
 * batch of POSTs is one run of `SessionStarted`), not once per event: one lookup of the type's
 * series a run. Without metrics (the bench's server that measures their cost), it only logs.
 */
export function commitCounter(metrics: Metrics | undefined, logger: Logger) {
  const byType = new Map<string, CounterChild>();
  const count = (type: string, events: number) => {
    let counter = byType.get(type);
    if (counter === undefined) {
      counter = (metrics as Metrics).eventsAppended.labels({ type });
      byType.set(type, counter);
    }
    counter.inc(events);
  };
  return (events: readonly Envelope<AnyEvent>[]): void => {
    let run: string | undefined;
    let length = 0;
    for (const event of events) {
      if (metrics !== undefined && event.type !== run) {
        if (run !== undefined) count(run, length);
        run = event.type;
        length = 0;
      }
      length++;
      if (event.type === 'WatchFailed') {
        const error = String((event.data as { error?: unknown }).error ?? '');
        const reason = watchFailureReason(error);
        metrics?.watchFailed.inc({ reason });
        logger.warn(
          { session: event.stream, position: event.position, reason, error },
          'watcher failure',
        );
      }
    }
    if (run !== undefined) count(run, length);
  };
}

/** The gateway's observer: metrics for all it tells, a log line for slow consumers closed. */
export function subscriptionObserver(
  metrics: Metrics | undefined,
  logger: Logger,
): SubscriptionObserver {
  return {
    opened(transport, resumed) {
      if (resumed) metrics?.subscriptionsResumed.inc({ transport });
      logger.debug({ transport, resumed }, 'subscription opened');
    },
    replayed(transport, events) {
      metrics?.eventsReplayed.inc({ transport }, events);
    },
    reset(transport, kind) {
      metrics?.resets.inc({ transport, reason: kind });
    },
    slowConsumerClosed(transport, buffered) {
      metrics?.slowConsumerCloses.inc({ transport });
      logger.warn({ transport, buffered, code: 4408 }, 'slow consumer closed');
    },
    readFailed(transport, error) {
      logger.error({ transport, err: error }, 'a subscription failed to read the log');
    },
  };
}

/**
 * The gateway's refusals before a subscription exists: counted by reason, and one line each
 * (at info: a client retrying past the connection limit is the clients' doing, not the
 * server's trouble). The line names the request, never its URL or headers (the token).
 */
export function upgradeRefusalObserver(
  metrics: Metrics | undefined,
  logger: Logger,
): UpgradeRefusalObserver {
  return ({ reason, status, requestId }) => {
    metrics?.wsUpgradesRefused.inc({ reason });
    logger.info({ requestId, route: WEBSOCKET_PATH, status, reason }, 'websocket refused');
  };
}
