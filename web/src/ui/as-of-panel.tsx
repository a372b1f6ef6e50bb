import type { ReadonlySignal } from '@preact/signals';
import type { AuditModel } from '../models/audit-model.js';
import { STATUS_LABELS, sessionTitle } from './format.js';
import { StatusDot } from './status-dot.js';

type Model = InstanceType<typeof AuditModel>;

/** The sessions table as it was right after a chosen position (`GET /api/sessions?asOf=`). */
export function AsOfPanel({ model, head }: { model: Model; head: ReadonlySignal<number> }) {
  const draft = model.asOfInput;
  const asOf = model.asOf.value;
  const table = model.asOfTable.value;
  const max = head.value;
  return (
    <section class="as-of" aria-labelledby="as-of-heading">
      <h2 id="as-of-heading" class="section-heading">
        Sessions as of a position
      </h2>
      <form
        class="as-of-form"
        onSubmit={(event) => {
          event.preventDefault();
          const position = Number(draft.value);
          if (draft.value !== '' && Number.isInteger(position)) void model.showAsOf(position);
        }}
      >
        <label for="as-of-position">Position</label>
        <input
          id="as-of-position"
          type="number"
          inputMode="numeric"
          min={0}
          max={max}
          placeholder={String(max)}
          value={draft.value}
          onInput={(event) => {
            draft.value = event.currentTarget.value;
          }}
        />
        <span class="muted small">of {max}</span>
        <button type="submit" class="button">
          Show table
        </button>
        {asOf !== undefined && (
          <button type="button" class="button" onClick={() => model.closeAsOf()}>
            Close
          </button>
        )}
      </form>
      {model.asOfError.value && (
        <p class="form-error" role="alert">
          {model.asOfError.value}
        </p>
      )}
      {asOf !== undefined && table !== undefined && (
        <div class="as-of-result" aria-live="polite">
          <p class="small">
            {table.length === 0
              ? `No session existed right after position ${asOf}.`
              : `${table.length} ${table.length === 1 ? 'session' : 'sessions'} right after position ${asOf}:`}
          </p>
          {table.length > 0 && (
            <table class="as-of-table">
              <thead>
                <tr>
                  <th scope="col">Session</th>
                  <th scope="col">Status</th>
                  <th scope="col">Directory</th>
                  <th scope="col">Files</th>
                  <th scope="col">Version</th>
                </tr>
              </thead>
              <tbody>
                {table.map((session) => (
                  <tr key={session.id}>
                    <td>{sessionTitle(session)}</td>
                    <td>
                      <StatusDot status={session.status} label="none" />{' '}
                      {STATUS_LABELS[session.status]}
                    </td>
                    <td class="mono">{session.cwd}</td>
                    <td>{session.fileChanges}</td>
                    <td>{session.version}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
