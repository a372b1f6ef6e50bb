import { type ReadonlySignal, useModel } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { Session } from '../../../src/sessions/session.js';
import { SidebarModel } from '../models/sidebar-model.js';
import type { Paged } from '../sync/session-reads.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { STATUS_LABELS, sessionTitle } from './format.js';
import { RelativeTime } from './relative-time.js';
import { StatusDot } from './status-dot.js';
import { useVirtualList } from './use-virtualizer.js';

interface SidebarProps {
  engine: SyncEngine;
  now: ReadonlySignal<number>;
  selected: string | undefined;
}

/** Active sessions and the ended ones, most recent first, older ones as it scrolls; a search. */
export function Sidebar({ engine, now, selected }: SidebarProps) {
  const model = useModel(() => new SidebarModel(engine));
  const scroller = useRef<HTMLElement>(null);
  const getScroller = () => scroller.current;
  const loaded = engine.epoch.value > 0;
  const active = model.active.value;
  const recent = model.recent.value;
  const search = engine.search.value;
  const searching = model.query.value.trim() !== '';
  return (
    <nav class="sidebar" aria-label="Sessions" ref={scroller}>
      <a class="button button-primary new-session" href="#/new">
        New session
      </a>
      <div class="session-search">
        <label class="visually-hidden" for="session-search">
          Search sessions
        </label>
        <input
          id="session-search"
          type="search"
          placeholder="Search names and directories"
          autoComplete="off"
          spellcheck={false}
          value={model.query.value}
          onInput={(event) => model.type(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape') model.clear();
          }}
        />
      </div>
      {searching ? (
        <section aria-labelledby="results-heading">
          <h2 id="results-heading" class="list-heading">
            Found <Count shown={model.results.value.length} paged={search} />
          </h2>
          {search.loaded && model.results.value.length === 0 && !search.loading ? (
            <p class="empty">No session's name or directory holds this.</p>
          ) : (
            <SessionList
              sessions={model.results.value}
              now={now}
              selected={selected}
              when="last"
              scroller={getScroller}
              paged={search}
              more={() => model.moreResults()}
              what="results"
            />
          )}
        </section>
      ) : (
        <>
          <section aria-labelledby="active-heading">
            <h2 id="active-heading" class="list-heading">
              Active <span class="count">{active.length}</span>
            </h2>
            {!loaded ? (
              <p class="empty">Loading sessions…</p>
            ) : active.length === 0 ? (
              <p class="empty">
                No session is running. Start one with <strong>New session</strong>, or from any tool
                with <code>POST /api/sessions</code>.
              </p>
            ) : (
              <SessionList
                sessions={active}
                now={now}
                selected={selected}
                when="last"
                scroller={getScroller}
              />
            )}
          </section>
          <section aria-labelledby="recent-heading">
            <h2 id="recent-heading" class="list-heading">
              Recent <Count shown={recent.length} paged={engine.ended.value} />
            </h2>
            {loaded && recent.length === 0 && engine.ended.value.cursor === undefined ? (
              <p class="empty">Ended sessions will show here.</p>
            ) : (
              <SessionList
                sessions={recent}
                now={now}
                selected={selected}
                when="ended"
                scroller={getScroller}
                paged={engine.ended.value}
                more={() => model.moreEnded()}
                what="ended sessions"
              />
            )}
          </section>
        </>
      )}
    </nav>
  );
}

/** How many are shown, with a `+` while older ones are still to be read. */
function Count({ shown, paged }: { shown: number; paged: Paged }) {
  const more = paged.cursor !== undefined;
  return (
    <span class="count" title={more ? 'more as you scroll' : undefined}>
      {shown}
      {more ? '+' : ''}
    </span>
  );
}

/** Estimated height of a row before it is drawn and measured. */
const ROW_HEIGHT = 52;

function SessionList({
  sessions,
  now,
  selected,
  when,
  scroller,
  paged,
  more,
  what,
}: {
  sessions: readonly Session[];
  now: ReadonlySignal<number>;
  selected: string | undefined;
  when: 'last' | 'ended';
  scroller: () => HTMLElement | null;
  /** For a list read in pages: how far, and how to read on. */
  paged?: Paged;
  more?: () => void;
  what?: string;
}) {
  const list = useRef<HTMLUListElement>(null);
  const { virtualizer, items, before, after, atEnd } = useVirtualList({
    count: sessions.length,
    scroller,
    list,
    estimateSize: ROW_HEIGHT,
    getItemKey: (index) => sessions[index]?.id ?? index,
  });
  const canRead = paged !== undefined && paged.cursor !== undefined && !paged.loading;
  // The last row on screen: read the next page (a button below does the same from the keyboard).
  useEffect(() => {
    if ((atEnd || sessions.length === 0) && canRead && paged?.error === undefined) more?.();
  }, [atEnd, canRead, sessions.length]);
  return (
    <>
      <ul
        class="session-list"
        ref={list}
        style={{ paddingTop: `${before}px`, paddingBottom: `${after}px` }}
      >
        {items.map((item) => {
          const session = sessions[item.index];
          if (session === undefined) return null;
          return (
            <li key={session.id} data-index={item.index} ref={virtualizer.measureElement}>
              <a
                class="session-row"
                href={`#/sessions/${encodeURIComponent(session.id)}`}
                aria-current={session.id === selected ? 'page' : undefined}
                data-session={session.id}
              >
                <StatusDot status={session.status} label="none" />
                <span class="session-name">{sessionTitle(session)}</span>
                <span class="session-when">
                  <RelativeTime
                    iso={
                      when === 'ended'
                        ? (session.endedAt ?? session.lastActivityAt)
                        : session.lastActivityAt
                    }
                    now={now}
                  />
                </span>
                <span class="session-meta" title={session.cwd}>
                  <span class="session-status">{STATUS_LABELS[session.status]}</span>
                  <span aria-hidden="true"> · </span>
                  <span class="session-cwd">{session.cwd}</span>
                </span>
              </a>
            </li>
          );
        })}
      </ul>
      {paged !== undefined && (paged.cursor !== undefined || paged.loading || paged.error) && (
        <div class="list-more">
          {paged.error !== undefined && <p class="form-error">{paged.error}</p>}
          <button type="button" class="button" disabled={paged.loading} onClick={() => more?.()}>
            {paged.loading ? 'Loading…' : `Load older ${what ?? ''}`.trim()}
          </button>
        </div>
      )}
    </>
  );
}
