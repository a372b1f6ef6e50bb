import { stream } from '@durable-streams/client';
import { vi } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { checkedFetch as fetch } from './openapi-check.js';

/** What `GET /api/events` gives, every page of it (the reference a stream is held to). */
export async function apiEvents(server: RunningServer, query = ''): Promise<unknown[]> {
  const events: unknown[] = [];
  let after = 0;
  for (;;) {
    const page = (await (
      await fetch(`${server.url}/api/events?after=${after}&limit=10000${query}`)
    ).json()) as { events: { position: number }[]; next: number };
    if (page.events.length === 0) return events;
    events.push(...page.events);
    after = page.next;
  }
}

/** Base of the server's streams: `/streams/{logId}`. */
export const streamsBase = (server: RunningServer) =>
  `${server.url}/streams/${server.log.store.logId}`;

/**
 * Reads a stream with the official client from `offset`, live, collecting every item and the
 * offset after each batch; `stop()` cancels.
 */
export async function follow(url: string, offset: string, live: 'long-poll' | 'sse') {
  const items: unknown[] = [];
  let last = offset;
  const response = await stream<unknown>({ url, offset, live });
  response.subscribeJson((batch) => {
    items.push(...batch.items);
    last = batch.offset;
  });
  return {
    items,
    get offset() {
      return last;
    },
    /** Waits until `count` items have come. */
    until: (count: number) =>
      vi.waitFor(
        () => {
          if (items.length < count) throw new Error(`${items.length} of ${count} items`);
        },
        { timeout: 10_000, interval: 20 },
      ),
    stop: () => response.cancel(),
  };
}
