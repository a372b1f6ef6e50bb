import type { ReadonlySignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { SessionModel } from '../models/session-model.js';
import { describeEvent } from './format.js';
import { RelativeTime } from './relative-time.js';
import { useVirtualList } from './use-virtualizer.js';

type Model = InstanceType<typeof SessionModel>;

/** The main area: what the timeline and the audit log scroll with. */
export const mainScroller = () => document.getElementById('main');

/**
 * The session's events, newest first, growing as they commit; older ones are read as the
 * list is scrolled to its end (or by the button after it), and only the rows on screen are
 * drawn.
 */
export function Timeline({ model, now }: { model: Model; now: ReadonlySignal<number> }) {
  const events = model.timeline.value;
  const total = model.total.value;
  const liveAfter = model.liveAfter.value;
  const list = useRef<HTMLOListElement>(null);
  const { virtualizer, items, before, after, atEnd } = useVirtualList({
    count: events.length,
    scroller: mainScroller,
    list,
    estimateSize: 38,
    getItemKey: (index) => events[index]?.position ?? index,
  });
  const more = model.older.value !== undefined;
  const loading = model.loading.value;
  useEffect(() => {
    if (atEnd && more && !loading) model.loadOlder();
  }, [atEnd, more, loading]);
  return (
    <section class="timeline" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading" class="section-heading">
        Timeline <span class="count">{total}</span>
      </h2>
      {model.loadError.value ? (
        <p class="form-error">{model.loadError.value}</p>
      ) : loading && events.length === 0 ? (
        <p class="empty">Loading events…</p>
      ) : (
        <>
          {/* Not a live region: a burst of file changes read out one by one is noise. */}
          <ol
            class="timeline-list"
            ref={list}
            style={{ paddingTop: `${before}px`, paddingBottom: `${after}px` }}
          >
            {items.map((item) => {
              const event = events[item.index];
              if (event === undefined) return null;
              return (
                <li
                  key={event.position}
                  data-index={item.index}
                  data-position={event.position}
                  ref={virtualizer.measureElement}
                  class={`timeline-item type-${event.type}${event.position > liveAfter ? ' arrived' : ''}`}
                >
                  <span class="timeline-marker" aria-hidden="true" />
                  <span class="timeline-text">{describeEvent(event)}</span>
                  <span class="timeline-meta">
                    <RelativeTime iso={event.time} now={now} />
                    <span class="muted"> · #{event.position}</span>
                  </span>
                </li>
              );
            })}
          </ol>
          <div class="paging">
            {more ? (
              <button
                type="button"
                class="button"
                disabled={loading}
                onClick={() => model.loadOlder()}
              >
                {loading ? 'Loading…' : 'Load older events'}
              </button>
            ) : (
              events.length > 0 && <p class="muted small">The session's first event.</p>
            )}
            {events.length < total && (
              <span class="muted small">
                {events.length} of {total} events loaded
              </span>
            )}
          </div>
        </>
      )}
    </section>
  );
}
