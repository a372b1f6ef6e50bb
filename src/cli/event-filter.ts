import { SESSION_EVENT_TYPES } from '../events/event-types.js';

/** Which events a command reads: as `GET /api/events` takes them (`after`, `types`, `streams`). */
export interface EventFilter {
  after: number;
  types: string[] | undefined;
  streams: string[] | undefined;
}

/**
 * `--after`, `--types` and `--streams` with the HTTP API's rules: a position is a whole number,
 * lists are comma-separated (empty: no filter), and an unknown type is an error rather than a
 * filter that silently matches nothing.
 */
export function eventFilter(values: Record<string, unknown>): EventFilter {
  const afterText = (values.after as string | undefined) ?? '0';
  if (!/^\d{1,15}$/.test(afterText)) {
    throw new Error(
      `--after must be a position (a whole number ≥ 0), not ${JSON.stringify(afterText)}`,
    );
  }
  const types = list(values.types);
  const unknown = (types ?? []).filter((type) => !SESSION_EVENT_TYPES.includes(type));
  if (unknown.length > 0) {
    throw new Error(
      `--types: unknown: ${unknown.join(', ')} (known: ${SESSION_EVENT_TYPES.join(', ')})`,
    );
  }
  return { after: Number(afterText), types, streams: list(values.streams) };
}

/** The query string of `GET /api/events` for the filter. */
export function eventQuery({ after, types, streams }: EventFilter): URLSearchParams {
  const query = new URLSearchParams({ after: String(after) });
  if (types !== undefined) query.set('types', types.join(','));
  if (streams !== undefined) query.set('streams', streams.join(','));
  return query;
}

function list(value: unknown): string[] | undefined {
  const items = String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.length === 0 ? undefined : [...new Set(items)];
}
