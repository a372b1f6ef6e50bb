import type { AnyEvent } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { resetReason, type SubscriptionRequest } from '../../protocol/subscription-request.js';
import { type FlowLimits, type Sink, Subscription } from './subscription.js';
import type { SubscriptionHub } from './subscription-hub.js';
import type { WireEncoder } from './wire-encoder.js';

export interface OpenSubscriptionOptions {
  store: Pick<EventStore<AnyEvent>, 'logId' | 'read' | 'readJson'>;
  hub: SubscriptionHub;
  /** What the client asked for (parsed and checked by the transport). */
  wanted: SubscriptionRequest;
  /** Who the subscription counts against for the per-client limit (clientOf). */
  client: string;
  sink: Sink;
  encoder: WireEncoder;
  limits: FlowLimits;
  /**
   * Whether the client is still there once the log's head has been read (which can take a
   * round trip to a shared log); when it is not, nothing is sent or opened. Default: yes.
   */
  isOpen?: () => boolean;
  /** Ties the transport to the subscription (its close, its pings) before the replay starts. */
  attach(subscription: Subscription): void;
}

const nothing = () => {};

/**
 * Opens one client's subscription, the same over WebSocket and Server-Sent Events: learns the
 * head, greets with `hello`, and then either tells the client to reset (and closes its sink
 * with 4409) or feeds it from the hub's commits and starts the replay from `after`. Resolves
 * with the subscription, or undefined when none was opened. The transport has refused what it
 * must beforehand (token, origin, parameters, connection limits).
 */
export async function openSubscription(
  options: OpenSubscriptionOptions,
): Promise<Subscription | undefined> {
  const { store, hub, wanted, client, sink, encoder, limits } = options;
  // A client ahead of this node (it wrote through another node of a shared log): learn the
  // log's head before judging it, rather than reset it for this node's lag.
  if (wanted.after !== undefined && wanted.after > hub.head) {
    await hub.freshHead();
    if (options.isOpen?.() === false) return undefined;
  }
  // From here to `hub.add` nothing awaits, so no commit can fall between `head` and the feed.
  const head = hub.head;
  const after = wanted.after ?? head;
  const { logId } = store;
  sink.send(encoder.control({ type: 'hello', logId, head, after }), nothing);
  const reason = resetReason(logId, head, { logId: wanted.logId, after });
  if (reason !== undefined) {
    const kind = wanted.logId !== undefined && wanted.logId !== logId ? 'other-log' : 'beyond-head';
    hub.observer?.reset(encoder.transport, kind);
    sink.send(encoder.control({ type: 'reset', logId, head, reason }), nothing);
    sink.close(CloseCode.reset, 'reset: drop local state and resubscribe');
    return undefined;
  }
  const subscription = new Subscription({
    store,
    sink,
    after,
    head,
    streams: wanted.streams,
    types: wanted.types,
    limits,
    encoder,
    observer: hub.observer,
  });
  hub.observer?.opened(encoder.transport, wanted.after !== undefined);
  hub.add(subscription, client);
  options.attach(subscription);
  subscription.start();
  return subscription;
}
