import { useModel } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { Api } from '../api/client.js';
import { NewSessionModel } from '../models/new-session-model.js';
import type { SyncEngine } from '../sync/sync-engine.js';

interface NewSessionViewProps {
  api: Api;
  engine: SyncEngine;
  opened(id: string): void;
}

/** The form that starts a session; the server's objections appear at the field they concern. */
export function NewSessionView({ api, engine, opened }: NewSessionViewProps) {
  const model = useModel(() => new NewSessionModel({ api, engine, opened }));
  const cwdInput = useRef<HTMLInputElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const errors = model.errors.value;
  const submitting = model.submitting.value;

  // A refused submission puts the focus on the field at fault, so its message is read out.
  useEffect(() => {
    if (errors.cwd !== undefined) cwdInput.current?.focus();
    else if (errors.name !== undefined) nameInput.current?.focus();
  }, [errors]);

  return (
    <section class="view" aria-labelledby="view-heading">
      <header class="view-header">
        <h1 id="view-heading" tabIndex={-1}>
          New session
        </h1>
        <p class="lede">
          Start a session in a directory on the server's machine. Its file changes show up in its
          timeline as they happen.
        </p>
      </header>
      <form
        class="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void model.submit();
        }}
      >
        <div class={`field${errors.cwd ? ' field-invalid' : ''}`}>
          <label for="new-cwd">
            Directory <span class="field-note">required</span>
          </label>
          <input
            ref={cwdInput}
            id="new-cwd"
            name="cwd"
            type="text"
            required
            autoComplete="off"
            spellcheck={false}
            placeholder="/home/you/project"
            value={model.cwd.value}
            onInput={(event) => {
              model.cwd.value = event.currentTarget.value;
            }}
            aria-invalid={errors.cwd !== undefined}
            aria-describedby={errors.cwd ? 'new-cwd-error new-cwd-hint' : 'new-cwd-hint'}
          />
          <p id="new-cwd-hint" class="field-hint">
            An absolute path to an existing directory, outside the system directories.
          </p>
          {errors.cwd && (
            <p id="new-cwd-error" class="field-error">
              {errors.cwd}
            </p>
          )}
        </div>
        <div class={`field${errors.name ? ' field-invalid' : ''}`}>
          <label for="new-name">
            Name <span class="field-note">optional</span>
          </label>
          <input
            ref={nameInput}
            id="new-name"
            name="name"
            type="text"
            maxLength={200}
            autoComplete="off"
            placeholder="What is this session for?"
            value={model.name.value}
            onInput={(event) => {
              model.name.value = event.currentTarget.value;
            }}
            aria-invalid={errors.name !== undefined}
            aria-describedby={errors.name ? 'new-name-error' : undefined}
          />
          {errors.name && (
            <p id="new-name-error" class="field-error">
              {errors.name}
            </p>
          )}
        </div>
        {errors.form && (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        )}
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled={submitting}>
            {submitting ? 'Starting…' : 'Start session'}
          </button>
          <a class="button" href="#/">
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
