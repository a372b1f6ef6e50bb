import type { AnyEvent, Envelope, EventMeta } from '../events/envelope.js';
import type { EventColumns } from './log-backend.js';

/** The fields of an events row, in the order of the table's columns (what an import writes). */
export const EVENT_FIELDS = [
  'position',
  'id',
  'stream',
  'version',
  'type',
  'time',
  'data',
  'meta',
  'hash',
] as const;

/**
 * The events of an import's batch as the projections fold them: data and meta parsed from
 * their canonical text (the fold runs where the rows are written, beside the store).
 */
export function envelopesOf(events: EventColumns): Envelope<AnyEvent>[] {
  const { position, version, id, stream, type, time, data, meta, hash } = events;
  return id.map(
    (_, i) =>
      ({
        position: position[i] as number,
        id: id[i] as string,
        stream: stream[i] as string,
        version: version[i] as number,
        type: type[i] as string,
        time: time[i] as string,
        data: JSON.parse(data[i] as string),
        meta: JSON.parse(meta[i] as string) as EventMeta,
        hash: hash[i] as string,
      }) as Envelope<AnyEvent>,
  );
}
