import type { Session } from '../../../src/sessions/session.js';
import type { ReadJson } from './read-json.js';

export { Unauthorized } from './read-json.js';

/** A page of `GET /api/sessions?limit=…`, at the position it reflects. */
export interface SessionsPage {
  sessions: Session[];
  position: number;
  next?: string;
}

/**
 * What the page starts from: every active session and the most recently ended ones, with
 * the position to tail from, and the log they belong to.
 */
export interface Snapshot {
  logId: string;
  sessions: Session[];
  /** Every row was read at this position or later: the tail starts here. */
  position: number;
  /** The cursor of the ended sessions after the first page; absent when none is left. */
  endedNext?: string | undefined;
}

/** The ended sessions on open: more than a screenful; older ones as the user scrolls. */
export const ENDED_PAGE = 50;

/**
 * Reads a snapshot over HTTP: `GET /api/health` for the log id, then every active session
 * (`status=active` without a limit: one answer from one snapshot, however many run at once;
 * the sessions that can still change are as many as run at once) and, beside it, the first
 * page of `status=ended`. The log id first: if the server changes logs meanwhile, the socket
 * then asks with the old id and the server answers with a reset, never a silent mix of two
 * logs.
 *
 * The two answers each reflect their own position. The tail starts at the smaller, so that
 * no row misses an event after its read; the events between that and the row's own read are
 * already in it, and the table skips them by the row's version (see SessionTable). A session
 * in both (it ended between the reads) is kept at its higher version.
 */
export async function loadSnapshot(read: ReadJson): Promise<Snapshot> {
  const { logId } = await read<{ logId: string }>('/api/health');
  const [active, ended] = await Promise.all([
    read<SessionsPage>('/api/sessions?status=active'),
    read<SessionsPage>(`/api/sessions?status=ended&limit=${ENDED_PAGE}`),
  ]);
  const pages = [active, ended];
  const rows = new Map<string, Session>();
  for (const { sessions } of pages) {
    for (const session of sessions) {
      const known = rows.get(session.id);
      if (known === undefined || known.version < session.version) rows.set(session.id, session);
    }
  }
  return {
    logId,
    sessions: [...rows.values()],
    position: Math.min(...pages.map((page) => page.position)),
    endedNext: ended.next,
  };
}
