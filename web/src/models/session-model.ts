import { computed, createModel, effect, signal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import { EVENT_PAGE } from '../../../src/protocol/pages.js';
import type { Api } from '../api/client.js';
import { ApiError, plainMessage } from '../api/problem.js';
import type { SyncEngine } from '../sync/sync-engine.js';

/** The timeline keeps this many events, the newest. */
export const TIMELINE_LIMIT = 500;

export interface SessionDeps {
  api: Api;
  engine: SyncEngine;
  id: string;
  /** Called once the session is deleted from here. */
  deleted(): void;
}

export type SessionAction = 'rename' | 'completed' | 'failed' | 'delete';

/**
 * One session's screen: its row (from the engine's table, so it is always current), its
 * event timeline (the stream's history, then its events live from the engine), and the
 * commands on it.
 */
export const SessionModel = createModel(({ api, engine, id, deleted }: SessionDeps) => {
  const session = computed(() => engine.sessions.value.get(id));
  /** Newest first. */
  const timeline = signal<readonly Envelope[]>([]);
  const total = signal(0);
  const loading = signal(true);
  /** Events above this position arrived while the page watched: they get a highlight. */
  const liveAfter = signal(Number.POSITIVE_INFINITY);
  const loadError = signal<string | undefined>(undefined);
  const busy = signal<SessionAction | undefined>(undefined);
  const actionError = signal<string | undefined>(undefined);

  let byPosition = new Map<number, Envelope>();
  function merge(events: readonly Envelope[]): void {
    let added = 0;
    for (const event of events) {
      if (event.stream !== id || byPosition.has(event.position)) continue;
      byPosition.set(event.position, event);
      added++;
    }
    if (added === 0) return;
    total.value += added;
    const newest = [...byPosition.values()].sort((a, b) => b.position - a.position);
    const kept = newest.slice(0, TIMELINE_LIMIT);
    byPosition = new Map(kept.map((event) => [event.position, event]));
    timeline.value = kept;
  }

  // Live events are taken before the history is read: whatever commits in between is in
  // one or the other (or both, and merged by position), never in neither. A new log (epoch)
  // starts the timeline over.
  effect(() => {
    engine.epoch.value;
    let cancelled = false;
    byPosition = new Map();
    timeline.value = [];
    total.value = 0;
    loading.value = true;
    liveAfter.value = Number.POSITIVE_INFINITY;
    loadError.value = undefined;
    const stop = engine.onEvents(merge);
    void (async () => {
      try {
        for (let after = 0; ; ) {
          const page = await api.sessionEvents(id, after, EVENT_PAGE.default);
          if (cancelled) return;
          merge(page.events);
          if (page.events.length < EVENT_PAGE.default) break;
          after = page.next;
        }
      } catch (error) {
        if (cancelled) return;
        loadError.value =
          error instanceof ApiError && error.problem.status === 404
            ? 'There is no such session in this log.'
            : plainMessage(error);
      } finally {
        if (!cancelled) {
          loading.value = false;
          liveAfter.value = timeline.value[0]?.position ?? 0;
        }
      }
    })();
    return () => {
      cancelled = true;
      stop();
    };
  });

  async function run(action: SessionAction, command: () => Promise<void>): Promise<boolean> {
    if (busy.value !== undefined) return false;
    busy.value = action;
    actionError.value = undefined;
    try {
      await command();
      return true;
    } catch (error) {
      actionError.value = plainMessage(error);
      return false;
    } finally {
      busy.value = undefined;
    }
  }

  return {
    session,
    timeline,
    total,
    loading,
    liveAfter,
    loadError,
    busy,
    actionError,
    /** Renames; resolves true when the server took it. */
    rename(name: string): Promise<boolean> {
      return run('rename', async () => {
        const answer = await api.patchSession(id, { name });
        engine.confirm(answer.session, answer.position);
      });
    },
    end(status: 'completed' | 'failed'): Promise<boolean> {
      return run(status, async () => {
        const answer = await api.patchSession(id, { status });
        engine.confirm(answer.session, answer.position);
      });
    },
    remove(): Promise<boolean> {
      return run('delete', async () => {
        const { position } = await api.deleteSession(id);
        engine.confirmDeleted(id, position);
        deleted();
      });
    },
  };
});
