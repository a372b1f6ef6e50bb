import type { ReadonlySignal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import { EVENT_TYPE_LABELS } from '../event-types.js';
import { absoluteTime } from './format.js';
import { RelativeTime } from './relative-time.js';

interface EventRowProps {
  event: Envelope;
  now: ReadonlySignal<number>;
  onStream(stream: string): void;
  onAsOf(position: number): void;
  /** It arrived while the page was open: highlighted for a moment. */
  arrived: boolean;
  /** Its index in the list, and what measures it, for the list that draws only some rows. */
  index: number;
  measure(row: HTMLTableRowElement | null): void;
}

/** One event of the audit log; its full envelope (meta, hash) folds out. */
export function EventRow({ event, now, onStream, onAsOf, arrived, index, measure }: EventRowProps) {
  const { data, ...envelope } = event;
  return (
    <tr
      class={`event-row type-${event.type}${arrived ? ' arrived' : ''}`}
      data-position={event.position}
      data-index={index}
      ref={measure}
    >
      <td class="event-position">
        <button
          type="button"
          class="link-button mono"
          title={`Show the sessions table right after position ${event.position}`}
          onClick={() => onAsOf(event.position)}
        >
          #{event.position}
          <span class="visually-hidden">: show the sessions table as of this position</span>
        </button>
      </td>
      <td class="event-time" title={absoluteTime(event.time)}>
        <RelativeTime iso={event.time} now={now} />
      </td>
      <td class="event-type">
        <span class={`type-pill type-pill-${event.type}`}>{EVENT_TYPE_LABELS[event.type]}</span>
      </td>
      <td class="event-stream">
        <button
          type="button"
          class="link-button mono"
          title="Show only this stream"
          onClick={() => onStream(event.stream)}
        >
          {event.stream}
        </button>
      </td>
      <td class="event-data">
        <details>
          <summary class="mono">{JSON.stringify(data)}</summary>
          <pre class="mono">{JSON.stringify({ data, ...envelope }, null, 2)}</pre>
        </details>
      </td>
    </tr>
  );
}
