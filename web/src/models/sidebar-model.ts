import { computed, createModel } from '@preact/signals';
import type { Session } from '../../../src/sessions/session.js';
import type { SyncEngine } from '../sync/sync-engine.js';

/** How many ended sessions the sidebar shows. */
export const RECENT_COUNT = 10;

const isActive = (session: Session) =>
  session.status === 'pending' || session.status === 'in_progress';

const newestFirst = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);

/**
 * The sidebar: sessions still running, newest first; the newest ended ones. Ordered by when
 * they started, not by their last activity, so that a busy session does not make the list
 * jump on every file change.
 */
export const SidebarModel = createModel((engine: SyncEngine) => {
  const all = computed(() => [...engine.sessions.value.values()]);
  const active = computed(() =>
    all.value
      .filter(isActive)
      .sort((a, b) => newestFirst(a.startedAt, b.startedAt) || newestFirst(a.id, b.id)),
  );
  const ended = computed(() =>
    all.value
      .filter((session) => !isActive(session))
      .sort((a, b) => newestFirst(a.endedAt ?? '', b.endedAt ?? '')),
  );
  const recent = computed(() => ended.value.slice(0, RECENT_COUNT));
  const endedCount = computed(() => ended.value.length);
  return { active, recent, endedCount };
});
