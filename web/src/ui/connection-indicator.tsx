import type { ReadonlySignal } from '@preact/signals';
import type { SyncEngine } from '../sync/sync-engine.js';

/**
 * Where the page stands with the server. The state word is announced to screen readers
 * (role=status); the details that change every second (position, countdown) are not, so
 * that the announcement is not repeated on each event.
 */
export function ConnectionIndicator({
  engine,
  now,
}: {
  engine: SyncEngine;
  now: ReadonlySignal<number>;
}) {
  const connection = engine.connection.value;
  // Named only when it is the fallback: the WebSocket is what "Live" means by default.
  const via = engine.transport.value === 'sse' ? ' · SSE fallback' : '';
  let label: string;
  let detail = '';
  switch (connection.state) {
    case 'connecting':
      label = 'Connecting';
      break;
    case 'live':
      label = `Live${via}`;
      detail = `position ${engine.position.value}`;
      break;
    case 'replaying':
      label = `Replaying${via}`;
      detail = `${connection.missed} missed ${connection.missed === 1 ? 'event' : 'events'}`;
      break;
    case 'reloading':
      label = 'Reloading';
      detail = `${connection.missed} missed events: reading the sessions again`;
      break;
    case 'reconnecting': {
      label = `Reconnecting, attempt ${connection.attempt}`;
      const seconds = Math.ceil((connection.retryAt - now.value) / 1000);
      detail = seconds > 0 ? `next try in ${seconds} s` : 'trying now';
      break;
    }
    case 'reset':
      label = 'Log reset';
      detail = 'reloading';
      break;
    case 'unauthorized':
      label = 'Not authorized';
      break;
    case 'stopped':
      label = 'Stopped';
      break;
  }
  const reason = 'reason' in connection ? connection.reason : undefined;
  return (
    <div
      class="connection"
      data-state={connection.state}
      data-transport={engine.transport.value}
      title={reason}
    >
      <span class="connection-dot" aria-hidden="true" />
      <span role="status" aria-live="polite" class="connection-label">
        {label}
      </span>
      {detail !== '' && <span class="connection-detail">{detail}</span>}
      {connection.state === 'reconnecting' && (
        <button type="button" class="link-button" onClick={() => engine.retryNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}
