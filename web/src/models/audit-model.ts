import { computed, createModel, effect, signal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import type { Session } from '../../../src/sessions/session.js';
import type { Api } from '../api/client.js';
import { plainMessage } from '../api/problem.js';
import type { SyncEngine } from '../sync/sync-engine.js';

/** Matching events asked for per page, newest first. */
const PAGE = 200;

/**
 * The audit screen: the global log newest first, filtered by type and stream, read from the
 * head down a page at a time with `GET /api/events?before=…`, new events added live; and
 * the sessions table as it was at any position (`asOf`).
 */
export const AuditModel = createModel(({ api, engine }: { api: Api; engine: SyncEngine }) => {
  const types = signal<readonly string[]>([]);
  const stream = signal('');
  /** Newest first. */
  const events = signal<readonly Envelope[]>([]);
  const loading = signal(false);
  const error = signal<string | undefined>(undefined);
  /** The `before` of the next older page; undefined once the log's start is loaded. */
  const older = signal<number | undefined>(undefined);
  const atStart = computed(() => older.value === undefined && !loading.value);
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

  async function page(before: number, current: number): Promise<void> {
    loading.value = true;
    error.value = undefined;
    try {
      const found = await api.events({
        before,
        limit: PAGE,
        types: [...types.value],
        stream: stream.value.trim(),
      });
      if (current !== generation) return;
      add(found.events);
      older.value = found.next;
    } catch (caught) {
      if (current === generation) error.value = plainMessage(caught);
    } finally {
      if (current === generation) loading.value = false;
    }
  }

  // The newest page is read below the engine's position + 1 (the server has it: the engine
  // heard it from it); whatever commits after arrives live, and overlaps merge by position.
  function reload(): void {
    const current = ++generation;
    events.value = [];
    error.value = undefined;
    older.value = undefined;
    if (engine.epoch.peek() === 0) return;
    const at = engine.position.peek();
    liveAfter.value = at;
    void page(at + 1, current);
  }

  // Reload on a filter change or a new log; new events join at the top as they commit.
  effect(() => {
    engine.epoch.value;
    types.value;
    stream.value;
    reload();
  });
  // Whatever commits after the head read in `reload` arrives here; overlaps merge by position.
  effect(() => engine.onEvents((arrived) => add(arrived.filter(matches))));

  return {
    types,
    stream,
    events,
    loading,
    error,
    older,
    atStart,
    liveAfter,
    asOf,
    asOfInput,
    asOfTable,
    asOfError,
    loadOlder(): void {
      const before = older.value;
      if (loading.value || before === undefined) return;
      void page(before, generation);
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
