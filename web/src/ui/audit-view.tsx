import { type ReadonlySignal, useModel } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { Api } from '../api/client.js';
import { EVENT_TYPE_LABELS, EVENT_TYPES } from '../event-types.js';
import { AuditModel } from '../models/audit-model.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { AsOfPanel } from './as-of-panel.js';
import { EventRow } from './event-row.js';
import { mainScroller } from './timeline.js';
import { useVirtualList } from './use-virtualizer.js';

interface AuditViewProps {
  api: Api;
  engine: SyncEngine;
  now: ReadonlySignal<number>;
}

/** The global log for auditors: every event, newest first, and the table at any position. */
export function AuditView({ api, engine, now }: AuditViewProps) {
  const model = useModel(() => new AuditModel({ api, engine }));
  const events = model.events.value;
  const filtered = model.types.value.length > 0 || model.stream.value !== '';
  const body = useRef<HTMLTableSectionElement>(null);
  const { virtualizer, items, before, after, atEnd } = useVirtualList({
    count: events.length,
    scroller: mainScroller,
    list: body,
    estimateSize: 40,
    getItemKey: (index) => events[index]?.position ?? index,
  });
  const more = model.older.value !== undefined;
  const loading = model.loading.value;
  // Scrolled to the last row: the next page (the Load older button does the same by keyboard).
  useEffect(() => {
    if (atEnd && more && !loading && model.error.value === undefined) model.loadOlder();
  }, [atEnd, more, loading]);
  return (
    <section class="view view-wide" aria-labelledby="view-heading">
      <header class="view-header">
        <h1 id="view-heading" tabIndex={-1}>
          Audit log
        </h1>
        <p class="lede">
          Every change ever made, newest first, each with its position in the log. Pick a position
          to see the sessions table as it was right after it.
        </p>
      </header>

      <AsOfPanel model={model} head={engine.head} />

      <section aria-labelledby="events-heading">
        <h2 id="events-heading" class="section-heading">
          Events
        </h2>
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault();
            const input = event.currentTarget.elements.namedItem('stream');
            if (input instanceof HTMLInputElement) model.setStream(input.value);
          }}
        >
          <fieldset class="type-filter">
            <legend>Types</legend>
            {EVENT_TYPES.map((type) => (
              <label key={type} class="chip">
                <input
                  type="checkbox"
                  checked={model.types.value.includes(type)}
                  onChange={() => model.toggleType(type)}
                />
                <span>{EVENT_TYPE_LABELS[type]}</span>
              </label>
            ))}
          </fieldset>
          <div class="stream-filter">
            <label for="stream-filter">Stream</label>
            {/* Typed freely, applied on Enter; a new key resets it when a row sets the filter. */}
            <input
              key={model.stream.value}
              id="stream-filter"
              name="stream"
              type="search"
              placeholder="session-…"
              autoComplete="off"
              spellcheck={false}
              defaultValue={model.stream.value}
              onKeyDown={(event) => {
                if (event.key === 'Escape') model.setStream('');
              }}
            />
            <button type="submit" class="button">
              Filter
            </button>
            {filtered && (
              <button type="button" class="button" onClick={() => model.clearFilters()}>
                Clear filters
              </button>
            )}
          </div>
        </form>

        {model.error.value && (
          <p class="form-error" role="alert">
            {model.error.value}
          </p>
        )}
        {events.length === 0 && !model.loading.value && !model.error.value ? (
          <p class="empty">{filtered ? 'No event matches these filters.' : 'The log is empty.'}</p>
        ) : (
          <table class="event-table">
            <caption class="visually-hidden">Events, newest first</caption>
            <colgroup>
              <col class="col-position" />
              <col class="col-time" />
              <col class="col-type" />
              <col class="col-stream" />
              <col />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Position</th>
                <th scope="col">Time</th>
                <th scope="col">Type</th>
                <th scope="col">Stream</th>
                <th scope="col">Data</th>
              </tr>
            </thead>
            <tbody ref={body}>
              {before > 0 && <Spacer height={before} />}
              {items.map((item) => {
                const event = events[item.index];
                return (
                  event !== undefined && (
                    <EventRow
                      key={event.position}
                      event={event}
                      now={now}
                      onStream={(stream) => model.setStream(stream)}
                      onAsOf={(position) => void model.showAsOf(position)}
                      arrived={event.position > model.liveAfter.value}
                      index={item.index}
                      measure={virtualizer.measureElement}
                    />
                  )
                );
              })}
              {after > 0 && <Spacer height={after} />}
            </tbody>
          </table>
        )}
        <div class="paging">
          {model.atStart.value ? (
            events.length > 0 && <p class="muted small">The start of the log.</p>
          ) : (
            <button
              type="button"
              class="button"
              disabled={model.loading.value}
              onClick={() => model.loadOlder()}
            >
              {model.loading.value ? 'Loading…' : 'Load older'}
            </button>
          )}
          {events.length > 0 && (
            <span class="muted small">
              Positions {events.at(-1)?.position} to {events[0]?.position}
            </span>
          )}
        </div>
      </section>
    </section>
  );
}

/** The height of the rows not drawn, above or below the drawn ones. */
function Spacer({ height }: { height: number }) {
  return (
    <tr class="spacer-row">
      <td colSpan={5} aria-hidden="true" style={{ height: `${height}px` }} />
    </tr>
  );
}
