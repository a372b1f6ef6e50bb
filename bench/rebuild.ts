import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';

/**
 * Times `log.projections.rebuild('sessions')` on an existing log, `rounds` times, opened as the
 * rebuild CLI opens it. Returns events/s per round; throws if a rebuild replayed other than
 * the expected events into other than the expected rows (a fast wrong rebuild is no figure).
 */
export async function rebuildRounds(
  file: string,
  expected: { events: number; rows: number },
  rounds: number,
): Promise<number[]> {
  const log = openSessionlog({ db: file });
  try {
    const rates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      const { events, rows } = log.projections.rebuild('sessions');
      const seconds = (performance.now() - started) / 1000;
      if (events !== expected.events || rows !== expected.rows) {
        throw new Error(
          `rebuild made ${rows} rows of ${events} events, expected ${expected.rows} of ${expected.events}`,
        );
      }
      rates.push(events / seconds);
    }
    return rates;
  } finally {
    await log.close();
  }
}
