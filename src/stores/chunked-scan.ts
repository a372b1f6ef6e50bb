/**
 * A scan's chunks as an async iterator over a source both stores share the shape of: `fetch`
 * reads the next chunk (empty at the end), `release` lets the snapshot go, with the error that
 * ended it if any. Released exactly once: at the end, on a read error, or when the consumer
 * returns early, even before its first `next()` (which an async generator would not do: a
 * generator returned before it starts never runs its `finally`).
 */
export function chunkedScan<T>(
  fetch: () => T[] | Promise<T[]>,
  release: (error?: unknown) => void | Promise<void>,
): AsyncIterableIterator<T[]> {
  let open = true;
  const end = async (error?: unknown) => {
    if (!open) return;
    open = false;
    await release(error);
  };
  const done = { done: true, value: undefined } as const;
  const chunks: AsyncIterableIterator<T[]> = {
    [Symbol.asyncIterator]() {
      return chunks;
    },
    async next() {
      if (!open) return done;
      let chunk: T[];
      try {
        chunk = await fetch();
      } catch (error) {
        await end(error);
        throw error;
      }
      if (chunk.length > 0) return { done: false, value: chunk };
      await end();
      return done;
    },
    async return() {
      await end();
      return done;
    },
  };
  return chunks;
}
