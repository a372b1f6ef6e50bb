import { computed, createModel, effect, signal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import type { Session } from '../../../src/sessions/session.js';
import type { Api } from '../api/client.js';
import { plainMessage } from '../api/problem.js';
import type { SyncEngine } from '../sync/sync-engine.js';

/** Positions asked for per request when paging back through the log. */
const WINDOW = 500;
/** "Load older" keeps paging back until it has found this many matching events… */
const WANTED = 100;
/** …or made this many requests (a filter that matches little should not hang the page). */
const MAX_REQUESTS = 10;

/**
 * The audit screen: the global log newest first, filtered by type and stream, paged back
 * with `GET /api/events?after=…`, new events added live; and the sessions table as it was
 * at any position (`asOf`).
 */
export const AuditModel = createModel(({ api, engine }: { api: Api; engine: SyncEngine }) => {
  const types = signal<readonly string[]>([]);
  const stream = signal('');
  /** Newest first. */
  const events = signal<readonly Envelope[]>([]);
  const loading = signal(false);
  const error = signal<string | undefined>(undefined);
  /** Everything matching above this position is loaded; 0: the start of the log. */
  const loadedFrom = signal(0);
  const atStart = computed(() => loadedFrom.value === 0);
  /** Events above this position arrived while the page watched: they get a highlight. */
  const liveAfter = signal(Number.POSITIVE_INFINITY);

  const asOf = signal<number | undefined>(undefined);
  /** What the position field holds: typed, or the position picked from a row. */
  const asOfInput = signal('');
  const asOfTable = signal<readonly Session[] | undefined>(undefined);
  const asOfError = signal<string | undefined>(undefined);

  let generation = 0;
  const matches = (event: Envelope) =>
    (types.value.length === 0 || types.value.includes(event.type)) &&
    (stream.value === '' || event.stream === stream.value);

  function add(found: readonly Envelope[]): void {
    if (found.length === 0) return;
    const byPosition = new Map(events.value.map((event) => [event.position, event]));
    for (const event of found) byPosition.set(event.position, event);
    events.value = [...byPosition.values()].sort((a, b) => b.position - a.position);
  }

  /** Pages back from `upTo` until enough matching events are found or the log starts. */
  async function pageBack(upTo: number, current: number): Promise<void> {
    loading.value = true;
    error.value = undefined;
    try {
      let top = upTo;
      let found = 0;
      for (let requests = 0; top > 0 && found < WANTED && requests < MAX_REQUESTS; requests++) {
        const after = Math.max(0, top - WINDOW);
        const page = await api.events({
          after,
          limit: WINDOW,
          types: [...types.value],
          stream: stream.value.trim(),
        });
        if (current !== generation) return;
        // A page may reach past `top` when a filter skips events: those are loaded already.
        const older = page.events.filter((event) => event.position <= top);
        add(older);
        found += older.length;
        top = after;
        loadedFrom.value = after;
      }
    } catch (caught) {
      if (current === generation) error.value = plainMessage(caught);
    } finally {
      if (current === generation) loading.value = false;
    }
  }

  async function reload(): Promise<void> {
    const current = ++generation;
    events.value = [];
    error.value = undefined;
    try {
      const { head } = await api.health();
      if (current !== generation) return;
      loadedFrom.value = head;
      liveAfter.value = head;
      await pageBack(head, current);
    } catch (caught) {
      if (current === generation) error.value = plainMessage(caught);
    }
  }

  // Reload on a filter change or a new log; new events join at the top as they commit.
  effect(() => {
    engine.epoch.value;
    types.value;
    stream.value;
    void reload();
  });
  // Whatever commits after the head read in `reload` arrives here; overlaps merge by position.
  effect(() => engine.onEvents((arrived) => add(arrived.filter(matches))));

  return {
    types,
    stream,
    events,
    loading,
    error,
    loadedFrom,
    atStart,
    liveAfter,
    asOf,
    asOfInput,
    asOfTable,
    asOfError,
    loadOlder(): Promise<void> {
      if (loading.value || atStart.value) return Promise.resolve();
      return pageBack(loadedFrom.value, generation);
    },
    toggleType(type: string): void {
      types.value = types.value.includes(type)
        ? types.value.filter((t) => t !== type)
        : [...types.value, type];
    },
    setStream(value: string): void {
      stream.value = value.trim();
    },
    clearFilters(): void {
      types.value = [];
      stream.value = '';
    },
    /** Shows the sessions table as it was right after `position`. */
    async showAsOf(position: number): Promise<void> {
      asOf.value = position;
      asOfInput.value = String(position);
      asOfError.value = undefined;
      try {
        const { sessions } = await api.sessionsAsOf(position);
        if (asOf.value === position) asOfTable.value = sessions;
      } catch (caught) {
        if (asOf.value === position) {
          asOfTable.value = undefined;
          asOfError.value = plainMessage(caught);
        }
      }
    },
    closeAsOf(): void {
      asOf.value = undefined;
      asOfTable.value = undefined;
      asOfError.value = undefined;
    },
  };
});
