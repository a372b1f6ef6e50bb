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

/** Sessions that can still change: as many as run at once, so all of them, 1000 a page. */
export const ACTIVE_PAGE = 1000;
/** The ended sessions on open: more than a screenful; older ones as the user scrolls. */
export const ENDED_PAGE = 50;

/**
 * Reads a snapshot over HTTP: `GET /api/health` for the log id, then every page of
 * `status=active` and, beside them, the first of `status=ended`. The log id first: if the
 * server changes logs meanwhile, the socket then asks with the old id and the server answers
 * with a reset, never a silent mix of two logs.
 *
 * Each page answers at its own position. The tail starts at the smallest, so that no row
 * misses an event after its read; the events between that and the row's own read are
 * already in it, and the table skips them by the row's version (see SessionTable). A
 * session in two pages (it ended between the reads) is kept at its higher version.
 */
export async function loadSnapshot(read: ReadJson): Promise<Snapshot> {
  const { logId } = await read<{ logId: string }>('/api/health');
  // Asked for beside the active pages, not before them: the active pages follow each other's
  // cursors, and on a long history (10,000 active: ten pages) every round trip delays the
  // first screen.
  const endedRead = read<SessionsPage>(`/api/sessions?status=ended&limit=${ENDED_PAGE}`);
  // Its failure is the snapshot's: handled here so that one of an active page's, thrown
  // first, does not leave this one unhandled.
  endedRead.catch(() => {});
  const pages: SessionsPage[] = [];
  for (let cursor: string | undefined; ; ) {
    const query = `status=active&limit=${ACTIVE_PAGE}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page = await read<SessionsPage>(`/api/sessions?${query}`);
    pages.push(page);
    cursor = page.next;
    if (cursor === undefined) break;
  }
  const ended = await endedRead;
  pages.push(ended);
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
