import { createModel, signal } from '@preact/signals';
import type { Api } from '../api/client.js';
import { ApiError, plainMessage, sentence } from '../api/problem.js';
import type { SyncEngine } from '../sync/sync-engine.js';

/** What went wrong, by field; `form` for what belongs to no field. */
export interface FormErrors {
  cwd?: string;
  name?: string;
  form?: string;
}

export interface NewSessionDeps {
  api: Api;
  engine: SyncEngine;
  /** Called with the new session's id once the server has started it. */
  opened(id: string): void;
}

/** The "New session" form: its fields, the server's objections, and the submission. */
export const NewSessionModel = createModel(({ api, engine, opened }: NewSessionDeps) => {
  const cwd = signal('');
  const name = signal('');
  const errors = signal<FormErrors>({});
  const submitting = signal(false);

  return {
    cwd,
    name,
    errors,
    submitting,
    async submit(): Promise<void> {
      if (submitting.value) return;
      const directory = cwd.value.trim();
      const title = name.value.trim();
      if (directory === '') {
        errors.value = { cwd: 'Enter the directory the session runs in.' };
        return;
      }
      errors.value = {};
      submitting.value = true;
      try {
        const { session, position } = await api.startSession({
          cwd: directory,
          ...(title === '' ? {} : { name: title }),
        });
        // The answer is the new row: shown and selected now, with no second request; the
        // log's SessionStarted then lands on the same row.
        engine.confirm(session, position);
        cwd.value = '';
        name.value = '';
        opened(session.id);
      } catch (error) {
        errors.value = formErrors(error);
      } finally {
        submitting.value = false;
      }
    },
  };
});

/** The server's problem, put next to the field it is about, in plain words. */
export function formErrors(error: unknown): FormErrors {
  if (!(error instanceof ApiError)) return { form: plainMessage(error) };
  const { status, detail, errors } = error.problem;
  const found: FormErrors = {};
  for (const issue of errors) {
    if (issue.path === 'cwd') found.cwd ??= cwdMessage(issue.message);
    else if (issue.path === 'name') found.name ??= sentence(`The name ${issue.message}`);
  }
  // 403s and a few 400s name the directory in `detail` only.
  if (found.cwd === undefined && found.name === undefined) {
    if (status === 403 || (status === 400 && /cwd/i.test(detail))) {
      found.cwd = forbiddenMessage(detail);
    } else {
      found.form = plainMessage(error);
    }
  }
  return found;
}

function cwdMessage(message: string): string {
  if (/does not exist/.test(message)) return 'No directory exists at this path on the server.';
  if (/not a directory/.test(message)) return 'This path is a file, not a directory.';
  if (/absolute/.test(message)) return 'Enter an absolute path: one that starts with /.';
  if (/cannot be read/.test(message)) return 'The server is not allowed to read this directory.';
  if (/symlink loop/.test(message)) return 'This path is a symbolic link that points to itself.';
  return sentence(`The directory ${message}`);
}

function forbiddenMessage(detail: string): string {
  const system = /^(.*) is inside a system directory$/.exec(detail);
  if (system) return `${system[1]} is a system directory: sessions cannot run there.`;
  if (/filesystem root/.test(detail)) return 'Sessions cannot run in the root directory (/).';
  const outside = /^(.*) is outside every --root$/.exec(detail);
  if (outside) {
    return `${outside[1]} is outside the directories this server accepts (its --root folders).`;
  }
  return sentence(detail);
}
