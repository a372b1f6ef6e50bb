import { setTimeout as sleep } from 'node:timers/promises';

/** What the loop needs of a collector, over either transport. */
export interface CuttableClient {
  readonly events: readonly { position: number }[];
  readonly closed: Promise<unknown>;
  cut(): void;
  close(): Promise<void>;
}

/**
 * Connects, cuts the connection at a random moment (at once, mid-replay or live), and
 * reconnects from where it got to, until it has reached `until()`. `connect(from)` opens a
 * subscription resuming after position `from`; `reached(client, from)` is the position the
 * client got to. Returns every position received, in order, and how many connections it took.
 */
export async function readThroughCuts<C extends CuttableClient>(
  connect: (from: number) => Promise<C>,
  reached: (client: C, from: number) => number,
  until: () => number | undefined,
): Promise<{ seen: number[]; connections: number }> {
  const seen: number[] = [];
  let from = 0;
  let connections = 0;
  for (;;) {
    let client: C;
    try {
      client = await connect(from);
    } catch {
      await sleep(20); // the server is restarting
      continue;
    }
    connections++;
    const target = until();
    if (target !== undefined && from >= target) {
      await client.close();
      return { seen, connections };
    }
    await Promise.race([sleep(Math.random() * 40), client.closed]);
    client.cut();
    seen.push(...client.events.map((e) => e.position));
    from = reached(client, from);
  }
}
