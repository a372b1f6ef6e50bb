import type { EventHash } from '../log-backend.js';
import type { Queryable } from './reader.js';
import { VERIFY_PAGE } from './verify-chain.js';

/**
 * The (position, hash) of the events at positions 1..upTo, in pages, on a connection the
 * caller holds (verify's read-only snapshot): only the two columns a tree is made of.
 */
export async function* pgEventHashes(client: Queryable, upTo: number): AsyncGenerator<EventHash[]> {
  for (let after = 0; after < upTo; ) {
    const { rows } = await client.query<{ position: string; hash: string }>(
      'SELECT position, hash FROM events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3',
      [after, upTo, VERIFY_PAGE],
    );
    const page = rows.map((row) => ({ position: Number(row.position), hash: row.hash }));
    const last = page.at(-1);
    if (last === undefined) return;
    yield page;
    after = last.position;
  }
}
