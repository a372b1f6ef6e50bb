import type { SessionStatus } from '../../../src/sessions/session.js';
import { STATUS_LABELS } from './format.js';

/**
 * The status as a coloured dot; each status has its own shape too, for who cannot tell the
 * colours apart. `label`: the word beside it, for screen readers only, or none (when the
 * word is already written nearby).
 */
export function StatusDot({
  status,
  label = 'hidden',
}: {
  status: SessionStatus;
  label?: 'visible' | 'hidden' | 'none';
}) {
  return (
    <span class={`status status-${status}`}>
      <span class="status-dot" aria-hidden="true" />
      {label !== 'none' && (
        <span class={label === 'visible' ? 'status-label' : 'visually-hidden'}>
          {STATUS_LABELS[status]}
        </span>
      )}
    </span>
  );
}
