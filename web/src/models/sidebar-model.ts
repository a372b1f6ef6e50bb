import { computed, createModel, signal } from '@preact/signals';
import type { Session } from '../../../src/sessions/session.js';
import { matchesQuery, newestActivityFirst, withinRead } from '../sync/session-reads.js';
import type { SyncEngine } from '../sync/sync-engine.js';

const isActive = (session: Session) =>
  session.status === 'pending' || session.status === 'in_progress';

const newestFirst = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);

/** Waits this long after the last keystroke before asking the server. */
const SEARCH_DELAY_MS = 250;

/**
 * The sidebar: sessions still running, newest start first (not by last activity, so that a
 * busy session does not make the list jump on every file change); then the ended ones, most
 * recent first as the server pages them, as far as they have been read; or, while a search
 * is typed, the sessions whose name or directory holds it.
 */
export const SidebarModel = createModel((engine: SyncEngine) => {
  const all = computed(() => [...engine.sessions.value.values()]);
  const active = computed(() =>
    all.value
      .filter(isActive)
      .sort((a, b) => newestFirst(a.startedAt, b.startedAt) || newestFirst(a.id, b.id)),
  );
  // Ended rows older than the last page read (one opened by its address, a search's) wait
  // for their page: the list never shows a hole that a later page would fill in above.
  const recent = computed(() => {
    const read = engine.ended.value;
    return all.value
      .filter((session) => !isActive(session) && withinRead(read, session))
      .sort(newestActivityFirst);
  });
  const query = signal('');
  const results = computed(() => {
    const search = engine.search.value;
    if (search.q === '') return [];
    return all.value
      .filter((session) => matchesQuery(session, search.q) && withinRead(search, session))
      .sort(newestActivityFirst);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;

  return {
    active,
    recent,
    results,
    query,
    /** What the search field holds; the server is asked once typing pauses. */
    type(text: string): void {
      query.value = text;
      clearTimeout(timer);
      const q = text.trim();
      if (q === '') void engine.searchSessions('');
      else timer = setTimeout(() => void engine.searchSessions(q), SEARCH_DELAY_MS);
    },
    clear(): void {
      clearTimeout(timer);
      query.value = '';
      void engine.searchSessions('');
    },
    moreEnded(): void {
      void engine.olderEnded();
    },
    moreResults(): void {
      void engine.searchSessions(engine.search.value.q);
    },
  };
});
