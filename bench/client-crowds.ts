import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchChild, startChild } from './child-process.js';
import type { ClientsMessage, ClientsRequest } from './ws-clients-child.js';

/** A client child process (ws-clients-child.ts) holding part of the WebSocket clients. */
export type Crowd = BenchChild<ClientsRequest, ClientsMessage>;

export function startCrowds(processes: number): Crowd[] {
  return Array.from({ length: processes }, () =>
    startChild<ClientsRequest, ClientsMessage>('./ws-clients-child.ts'),
  );
}

/**
 * Opens `total` clients on `wsUrl`, split evenly over the crowds, `batch` handshakes at a time
 * in each; throws unless every one of them got its `hello`.
 */
export async function openClients(
  crowds: readonly Crowd[],
  wsUrl: string,
  total: number,
  batch: number,
): Promise<void> {
  const replies = await Promise.all(
    crowds.map((crowd, i) => {
      const count = Math.floor(total / crowds.length) + (i < total % crowds.length ? 1 : 0);
      return crowd.ask({ type: 'open', url: wsUrl, count, batch }, 'opened', 300_000);
    }),
  );
  const open = replies.reduce((sum, reply) => sum + reply.open, 0);
  if (open !== total) {
    const failed = replies.reduce((sum, reply) => sum + reply.failed, 0);
    throw new Error(`opened ${open} of ${total} WebSocket clients (${failed} failed)`);
  }
}

/**
 * Waits until the crowds have received `expected` SessionStarted events, or `timeoutMs` has
 * passed; returns how many they have (the report says what is missing).
 */
export async function awaitDeliveries(
  crowds: readonly Crowd[],
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const replies = await Promise.all(
      crowds.map((crowd) => crowd.ask({ type: 'progress' }, 'progress')),
    );
    const delivered = replies.reduce((sum, reply) => sum + reply.deliveries, 0);
    if (delivered >= expected || performance.now() >= deadline) return delivered;
    await sleep(100);
  }
}

/** Closes every client (a clean close handshake) and waits for it. */
export async function closeClients(crowds: readonly Crowd[]): Promise<void> {
  await Promise.all(crowds.map((crowd) => crowd.ask({ type: 'close' }, 'closed')));
}

export async function stopCrowds(crowds: readonly Crowd[]): Promise<void> {
  await Promise.all(crowds.map((crowd) => crowd.stop()));
}
