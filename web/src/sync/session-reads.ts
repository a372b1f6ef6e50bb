import { type ReadonlySignal, signal } from '@preact/signals';
import type { Session } from '../../../src/sessions/session.js';
import type { LiveTable } from './live-table.js';
import { ReadFailed, type ReadJson } from './read-json.js';
import { ENDED_PAGE, type SessionsPage } from './snapshot.js';

/** Where a session stands in the pages' order: most recent activity first, then id. */
export interface SortKey {
  lastActivityAt: string;
  id: string;
}

/** How far a paged list (older ended sessions, a search) has been read. */
export interface Paged {
  /** The cursor of the next page; undefined when everything is read. */
  cursor?: string | undefined;
  /** The last row read: the rows of the table sorting after it are not known to be all. */
  last?: SortKey | undefined;
  loading: boolean;
  /** The first page has arrived. */
  loaded: boolean;
  error?: string | undefined;
}

/** Sorts as the server's pages do: by `lastActivityAt`, then `id`, both descending. */
export function newestActivityFirst(a: SortKey, b: SortKey): number {
  if (a.lastActivityAt !== b.lastActivityAt) return a.lastActivityAt < b.lastActivityAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Whether `session` is among the rows a paged list has read down to. */
export function withinRead(paged: Paged, session: SortKey): boolean {
  if (paged.cursor === undefined) return paged.loaded;
  return paged.last !== undefined && newestActivityFirst(session, paged.last) <= 0;
}

/**
 * `q` as the server matches it (`GET /api/sessions?q=`): in the name or the directory,
 * A–Z without case, every other character as it is.
 */
export function matchesQuery(session: Session, q: string): boolean {
  const fold = (text: string) => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
  const wanted = fold(q);
  return fold(session.name ?? '').includes(wanted) || fold(session.cwd).includes(wanted);
}

const PAGE = ENDED_PAGE;

/**
 * The reads beyond the snapshot: older ended sessions as the user scrolls, a search, one
 * session opened by its address. Each read's rows join the table (so that the tail keeps
 * them current), through `startLoad`/`endLoad` so that no event is lost or doubled in them.
 */
export function createSessionReads(table: LiveTable, read: ReadJson) {
  const ended = signal<Paged>({ loading: false, loaded: false });
  const search = signal<Paged & { q: string }>({ q: '', loading: false, loaded: false });
  const singles = new Map<string, Promise<'found' | 'missing'>>();

  /** A read's rows into the table; an answer older than what the tail passed is asked again. */
  async function rows<T extends { position: number }>(
    path: string,
    sessions: (answer: T) => readonly Session[],
  ): Promise<T> {
    for (let tries = 0; ; tries++) {
      const load = table.startLoad();
      let answer: T;
      try {
        answer = await read<T>(path);
      } catch (error) {
        table.endLoad(load, undefined);
        throw error;
      }
      // The server answers at its head, which is at least what it sent the tail: a lower
      // position (a node that lags, say) would miss events the table will not see again.
      if (answer.position < load.issuedAt) {
        table.endLoad(load, undefined);
        if (tries < 3) continue;
        throw new Error(`the server answered at position ${answer.position}, behind the tail`);
      }
      table.endLoad(load, sessions(answer));
      return answer;
    }
  }

  async function nextPage<P extends Paged>(
    state: { value: P },
    query: string,
    wanted: () => boolean = () => true,
  ): Promise<void> {
    const at = state.value;
    if (at.loading || (at.loaded && at.cursor === undefined)) return;
    const epoch = table.epoch.value;
    const current = () => table.epoch.value === epoch && wanted();
    state.value = { ...at, loading: true, error: undefined };
    const cursor = at.cursor === undefined ? '' : `&cursor=${encodeURIComponent(at.cursor)}`;
    try {
      const page = await rows<SessionsPage>(
        `/api/sessions?${query}&limit=${PAGE}${cursor}`,
        (answer) => answer.sessions,
      );
      if (!current()) return;
      const last = page.sessions.at(-1);
      state.value = {
        ...state.value,
        cursor: page.next,
        last: last === undefined ? at.last : key(last),
        loading: false,
        loaded: true,
      };
    } catch (error) {
      if (!current()) return;
      state.value = {
        ...state.value,
        loading: false,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  const searchPage = (q: string) =>
    nextPage(search, `q=${encodeURIComponent(q)}`, () => search.value.q === q);

  return {
    ended: ended as ReadonlySignal<Paged>,
    searched: search as ReadonlySignal<Paged & { q: string }>,
    /** A new snapshot: the ended sessions it holds, and where the next page starts. */
    adopted(snapshot: { sessions: readonly Session[]; endedNext?: string | undefined }): void {
      const oldest = snapshot.sessions
        .filter((session) => session.status === 'completed' || session.status === 'failed')
        .sort(newestActivityFirst)
        .at(-1);
      ended.value = {
        cursor: snapshot.endedNext,
        last: oldest && key(oldest),
        loading: false,
        loaded: true,
      };
      singles.clear();
      if (search.value.q !== '') {
        const { q } = search.value;
        search.value = { q, loading: false, loaded: false };
        void searchPage(q);
      }
    },
    /** The next page of ended sessions, older than those read. */
    olderEnded(): Promise<void> {
      return nextPage(ended, 'status=ended');
    },
    /** Starts a search (an empty `q` ends it), or reads its next page. */
    search(q: string): Promise<void> {
      if (q !== search.value.q) search.value = { q, loading: false, loaded: false };
      if (q === '') return Promise.resolve();
      return searchPage(q);
    },
    /** One session into the table (opened by its address, or missed by a read). */
    session(id: string): Promise<'found' | 'missing'> {
      let pending = singles.get(id);
      if (pending === undefined) {
        pending = (async () => {
          try {
            await rows<{ session: Session; position: number }>(
              `/api/sessions/${encodeURIComponent(id)}`,
              (answer) => [answer.session],
            );
            return 'found' as const;
          } catch (error) {
            singles.delete(id);
            if (error instanceof ReadFailed && (error.status === 404 || error.status === 410))
              return 'missing' as const;
            throw error;
          }
        })();
        singles.set(id, pending);
      }
      return pending;
    },
  };
}

function key(session: Session): SortKey {
  return { lastActivityAt: session.lastActivityAt, id: session.id };
}
