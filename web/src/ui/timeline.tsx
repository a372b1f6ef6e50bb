import type { ReadonlySignal } from '@preact/signals';
import type { SessionModel } from '../models/session-model.js';
import { describeEvent } from './format.js';
import { RelativeTime } from './relative-time.js';

type Model = InstanceType<typeof SessionModel>;

/** The session's events, newest first, growing as they commit. */
export function Timeline({ model, now }: { model: Model; now: ReadonlySignal<number> }) {
  const events = model.timeline.value;
  const total = model.total.value;
  const liveAfter = model.liveAfter.value;
  return (
    <section class="timeline" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading" class="section-heading">
        Timeline <span class="count">{total}</span>
      </h2>
      {model.loadError.value ? (
        <p class="form-error">{model.loadError.value}</p>
      ) : model.loading.value && events.length === 0 ? (
        <p class="empty">Loading events…</p>
      ) : (
        <>
          {/* Not a live region: a burst of file changes read out one by one is noise. */}
          <ol class="timeline-list">
            {events.map((event) => (
              <li
                key={event.position}
                class={`timeline-item type-${event.type}${event.position > liveAfter ? ' arrived' : ''}`}
              >
                <span class="timeline-marker" aria-hidden="true" />
                <span class="timeline-text">{describeEvent(event)}</span>
                <span class="timeline-meta">
                  <RelativeTime iso={event.time} now={now} />
                  <span class="muted"> · #{event.position}</span>
                </span>
              </li>
            ))}
          </ol>
          {total > events.length && (
            <p class="muted small">
              Showing the latest {events.length} of {total} events. The audit log has them all.
            </p>
          )}
        </>
      )}
    </section>
  );
}
