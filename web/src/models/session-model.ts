import { computed, createModel, effect, signal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import type { Api } from '../api/client.js';
import { ApiError, plainMessage } from '../api/problem.js';
import type { SyncEngine } from '../sync/sync-engine.js';

/** Events read per page of the timeline, newest first. */
export const TIMELINE_PAGE = 200;

export interface SessionDeps {
  api: Api;
  engine: SyncEngine;
  id: string;
  /** Called once the session is deleted from here. */
  deleted(): void;
}

export type SessionAction = 'rename' | 'completed' | 'failed' | 'delete';

/**
 * One session's screen: its row (from the engine's table, so it is always current; read
 * into it when the sidebar has not), its event timeline (the newest page of its stream, older
 * pages on demand, then its events live from the engine), and the commands on it.
 */
export const SessionModel = createModel(({ api, engine, id, deleted }: SessionDeps) => {
  const session = computed(() => engine.sessions.value.get(id));
  /** Whether the log has this session: undefined while that is being found out. */
  const exists = signal<boolean | undefined>(undefined);
  /** Newest first. */
  const timeline = signal<readonly Envelope[]>([]);
  const loading = signal(true);
  /** The `before` of the next older page; undefined once the stream's start is loaded. */
  const older = signal<number | undefined>(undefined);
  /** Events above this position arrived while the page watched: they get a highlight. */
  const liveAfter = signal(Number.POSITIVE_INFINITY);
  const loadError = signal<string | undefined>(undefined);
  const busy = signal<SessionAction | undefined>(undefined);
  const actionError = signal<string | undefined>(undefined);
  /** The events of the stream: its version, or what is loaded before the row is known. */
  const total = computed(() => Math.max(session.value?.version ?? 0, timeline.value.length));

  let byPosition = new Map<number, Envelope>();
  let generation = 0;
  function merge(events: readonly Envelope[]): void {
    let added = false;
    for (const event of events) {
      if (event.stream !== id || byPosition.has(event.position)) continue;
      byPosition.set(event.position, event);
      added = true;
    }
    if (added) timeline.value = [...byPosition.values()].sort((a, b) => b.position - a.position);
  }

  async function readOlder(before: number, current: number): Promise<void> {
    loading.value = true;
    try {
      const page = await api.sessionEventsBefore(id, before, TIMELINE_PAGE);
      if (current !== generation) return;
      merge(page.events);
      older.value = page.next;
    } catch (error) {
      if (current !== generation) return;
      loadError.value =
        error instanceof ApiError && error.problem.status === 404
          ? 'There is no such session in this log.'
          : plainMessage(error);
    } finally {
      if (current === generation) loading.value = false;
    }
  }

  // Live events are taken before the newest page is read: whatever commits in between is in
  // one or the other (or both, and merged by position), never in neither. The page is read
  // below the engine's position + 1, which the server has (the engine heard it from it); what
  // is above arrives live. A new snapshot (epoch) starts the timeline over.
  effect(() => {
    const epoch = engine.epoch.value;
    const current = ++generation;
    byPosition = new Map();
    timeline.value = [];
    older.value = undefined;
    loading.value = true;
    liveAfter.value = Number.POSITIVE_INFINITY;
    loadError.value = undefined;
    exists.value = undefined;
    if (epoch === 0) return;
    const stop = engine.onEvents(merge);
    const at = engine.position.peek();
    void readOlder(at + 1, current).then(() => {
      if (current === generation) liveAfter.value = at;
    });
    if (engine.sessions.peek().has(id)) exists.value = true;
    else {
      void engine.loadSession(id).then(
        (found) => {
          if (current === generation) exists.value = found === 'found';
        },
        (error: unknown) => {
          if (current === generation) loadError.value = plainMessage(error);
        },
      );
    }
    return () => {
      generation++;
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
    exists,
    timeline,
    total,
    loading,
    older,
    liveAfter,
    loadError,
    busy,
    actionError,
    /** Reads the next older page of the timeline. */
    loadOlder(): void {
      const before = older.value;
      if (before === undefined || loading.value) return;
      void readOlder(before, generation);
    },
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
