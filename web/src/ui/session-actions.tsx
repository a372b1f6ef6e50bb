import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { Session } from '../../../src/sessions/session.js';
import type { SessionModel } from '../models/session-model.js';

type Model = InstanceType<typeof SessionModel>;

/** Rename, end, delete: each asks before it does something that cannot be undone. */
export function SessionActions({
  model,
  session,
  ended,
}: {
  model: Model;
  session: Session;
  ended: boolean;
}) {
  const mode = useSignal<'idle' | 'rename' | 'delete'>('idle');
  const draft = useSignal('');
  const busy = model.busy.value;
  const renameInput = useRef<HTMLInputElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  // Where the focus goes back to when an inline form closes, so the keyboard is not lost.
  const returnTo = useRef<'rename' | 'delete' | undefined>(undefined);

  useEffect(() => {
    if (mode.value === 'rename') renameInput.current?.select();
    else if (mode.value === 'delete') confirmButton.current?.focus();
    else if (returnTo.current === 'rename') renameButton.current?.focus();
    else if (returnTo.current === 'delete') deleteButton.current?.focus();
    returnTo.current = undefined;
  }, [mode.value]);

  const cancel = () => {
    returnTo.current = mode.value === 'idle' ? undefined : mode.value;
    mode.value = 'idle';
  };

  return (
    <div class="actions">
      {mode.value === 'rename' ? (
        <form
          class="inline-form"
          onSubmit={async (event) => {
            event.preventDefault();
            const name = draft.value.trim();
            if (name === '' || name === session.name) return cancel();
            if (await model.rename(name)) cancel();
          }}
          onKeyDown={(event) => {
            if (event.key === 'Escape') cancel();
          }}
        >
          <label for="rename-input">New name</label>
          <input
            ref={renameInput}
            id="rename-input"
            type="text"
            maxLength={200}
            value={draft.value}
            onInput={(event) => {
              draft.value = event.currentTarget.value;
            }}
          />
          <button type="submit" class="button button-primary" disabled={busy !== undefined}>
            {busy === 'rename' ? 'Saving…' : 'Save'}
          </button>
          <button type="button" class="button" onClick={cancel}>
            Cancel
          </button>
        </form>
      ) : mode.value === 'delete' ? (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-delete-text">
          <span id="confirm-delete-text">
            Delete this session? It leaves the table; its events stay in the log.
          </span>
          <button
            ref={confirmButton}
            type="button"
            class="button button-danger"
            disabled={busy !== undefined}
            onClick={() => void model.remove()}
          >
            {busy === 'delete' ? 'Deleting…' : 'Delete'}
          </button>
          <button type="button" class="button" onClick={cancel}>
            Keep it
          </button>
        </div>
      ) : (
        <>
          {!ended && (
            <>
              <button
                ref={renameButton}
                type="button"
                class="button"
                onClick={() => {
                  draft.value = session.name ?? '';
                  mode.value = 'rename';
                }}
              >
                Rename
              </button>
              <button
                type="button"
                class="button"
                disabled={busy !== undefined}
                onClick={() => void model.end('completed')}
              >
                {busy === 'completed' ? 'Ending…' : 'Mark completed'}
              </button>
              <button
                type="button"
                class="button"
                disabled={busy !== undefined}
                onClick={() => void model.end('failed')}
              >
                {busy === 'failed' ? 'Ending…' : 'Mark failed'}
              </button>
            </>
          )}
          <button
            ref={deleteButton}
            type="button"
            class="button button-quiet-danger"
            onClick={() => {
              mode.value = 'delete';
            }}
          >
            Delete…
          </button>
        </>
      )}
      {model.actionError.value && (
        <p class="form-error" role="alert">
          {model.actionError.value}
        </p>
      )}
    </div>
  );
}
