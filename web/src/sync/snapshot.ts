import type { Session } from '../../../src/sessions/session.js';
import type { FetchLike } from './ports.js';

/** The sessions table at a position, and the log it belongs to. */
export interface Snapshot {
  logId: string;
  sessions: Session[];
  position: number;
}

/** The server refused the token: retrying will not help. */
export class Unauthorized extends Error {
  override readonly name = 'Unauthorized';
}

/**
 * Reads a snapshot over HTTP: `GET /api/health` for the log id, then `GET /api/sessions`.
 * The log id first: if the server changes logs between the two reads, the socket then asks
 * with the old id and the server answers with a reset, never a silent mix of two logs.
 */
export async function loadSnapshot(
  fetch: FetchLike,
  baseUrl: string,
  headers: Record<string, string>,
): Promise<Snapshot> {
  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(new URL(path, baseUrl).toString(), { headers });
    if (response.status === 401) throw new Unauthorized('the server needs its token');
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
    return (await response.json()) as T;
  };
  const { logId } = await getJson<{ logId: string }>('/api/health');
  const { sessions, position } = await getJson<{ sessions: Session[]; position: number }>(
    '/api/sessions',
  );
  return { logId, sessions, position };
}
