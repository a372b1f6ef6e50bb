import type { EventRow } from '../src/events/event-row.js';
import type { EventColumns } from '../src/stores/log-backend.js';

/**
 * Whole rows as the columns an import's batch carries (what its checking thread gives the
 * writer), each row's line its position: for the bench's own batches, made from rows it read or
 * made itself rather than from an export's lines.
 */
export function columnsOf(rows: readonly EventRow[]): EventColumns {
  const column = <K extends keyof EventRow>(key: K) => rows.map((row) => row[key]);
  const positions = Float64Array.from(column('position'));
  return {
    position: positions,
    version: Float64Array.from(column('version')),
    line: positions,
    id: column('id'),
    stream: column('stream'),
    type: column('type'),
    time: column('time'),
    data: column('data'),
    meta: column('meta'),
    hash: column('hash'),
  };
}
