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

const PROBLEM = 'urn:sessionlog:problem:';

/**
 * The server's problem, put next to the field it is about, in plain words. Where it goes
 * is the problem's `type` and its issues' `path`: a `validation` problem names its fields,
 * and the only thing a start is `forbidden` for is its directory (a refused Host or Origin
 * has a type of its own, and is about the page, not the field).
 */
export function formErrors(error: unknown): FormErrors {
  if (!(error instanceof ApiError)) return { form: plainMessage(error) };
  const { type, detail, errors } = error.problem;
  if (type === `${PROBLEM}forbidden`) return { cwd: refusal(detail) };
  const found: FormErrors = {};
  if (type === `${PROBLEM}validation`) {
    for (const { path, message } of errors) {
      if (path === 'cwd') found.cwd ??= CWD_ISSUES[message] ?? sentence(`The directory ${message}`);
      else if (path === 'name') found.name ??= sentence(`The name ${message}`);
    }
  }
  return found.cwd === undefined && found.name === undefined
    ? { form: plainMessage(error) }
    : found;
}

/** The server's words for a directory it cannot use (its `errors[].message`), in a user's. */
const CWD_ISSUES: Readonly<Record<string, string>> = {
  'does not exist': 'No directory exists at this path on the server.',
  'is not a directory': 'This path is a file, not a directory.',
  'must be an absolute path': 'Enter an absolute path: one that starts with /.',
  'cannot be read by the server': 'The server is not allowed to read this directory.',
  'is a symlink loop': 'This path is a symbolic link that points to itself.',
};

const ROOT_REFUSED = 'a session cannot run in the filesystem root';

/**
 * Why a directory was refused. Every refusal is `forbidden`, so the type cannot tell a
 * system directory from a `--root` one; the detail names the directory, then the reason,
 * and the two reasons a user may not know the words for are put in other words.
 */
const REFUSALS: readonly [reason: string, say: (directory: string) => string][] = [
  [
    ' is inside a system directory',
    (dir) => `${dir} is a system directory: sessions cannot run there.`,
  ],
  [
    ' is outside every --root',
    (dir) => `${dir} is outside the directories this server accepts (its --root folders).`,
  ],
];

function refusal(detail: string): string {
  if (detail === ROOT_REFUSED) return 'Sessions cannot run in the root directory (/).';
  for (const [reason, say] of REFUSALS) {
    if (detail.endsWith(reason)) return say(detail.slice(0, -reason.length));
  }
  // Any other refusal (a directory that holds a system directory, say) in the server's words.
  return `${detail.trim()}: sessions cannot run there.`;
}
