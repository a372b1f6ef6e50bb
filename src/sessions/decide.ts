import { ConflictError, GoneError, NotFoundError } from '../events/errors.js';
import type { SessionEvent } from '../events/schemas.js';
import { exhaustive, isEnded, type SessionState } from './session.js';

type Data<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>['data'];

/** What a caller asks of a session, in the imperative. The session id is the stream. */
export type SessionCommand =
  | { type: 'startSession'; data: Data<'SessionStarted'> }
  | { type: 'updateSession'; data: Data<'SessionUpdated'> }
  | { type: 'endSession'; data: Data<'SessionEnded'> }
  | { type: 'deleteSession'; data: Data<'SessionDeleted'> }
  | { type: 'recordFileChange'; data: Data<'FileChanged'> }
  | { type: 'recordWatchFailure'; data: Data<'WatchFailed'> }
  /** Rename, summarize, and move the status on, in one go (`PATCH /api/sessions/:id`). */
  | { type: 'patchSession'; data: PatchData };

export interface PatchData {
  name?: string;
  summary?: string;
  status?: 'in_progress' | 'completed' | 'failed';
}

/**
 * The session rules: given the session's state, what events a command produces, or which
 * typed error it breaks. Pure: no I/O, no clock.
 */
export function decide(command: SessionCommand, state: SessionState | null): SessionEvent[] {
  if (command.type === 'startSession') {
    if (state !== null) throw new ConflictError(`session ${state.id} already exists`);
    return [{ type: 'SessionStarted', data: command.data }];
  }
  if (state === null) throw new NotFoundError('no such session');
  if (state.deletedAt !== null) throw new GoneError(`session ${state.id} was deleted`);
  if (command.type === 'deleteSession') return [{ type: 'SessionDeleted', data: command.data }];
  if (isEnded(state)) {
    throw new ConflictError(
      `session ${state.id} has ended (${state.status}): it accepts no more changes`,
    );
  }
  switch (command.type) {
    case 'updateSession':
      return [{ type: 'SessionUpdated', data: command.data }];
    case 'endSession':
      return [{ type: 'SessionEnded', data: command.data }];
    case 'recordFileChange':
      return [{ type: 'FileChanged', data: command.data }];
    case 'recordWatchFailure':
      return [{ type: 'WatchFailed', data: command.data }];
    case 'patchSession':
      return patch(command.data);
    default:
      return exhaustive(command);
  }
}

/** A patch that ends the session records the rename first, then the end with its summary. */
function patch({ name, summary, status }: PatchData): SessionEvent[] {
  if (status === 'completed' || status === 'failed') {
    const ended: SessionEvent = { type: 'SessionEnded', data: { status, ...defined({ summary }) } };
    return name === undefined ? [ended] : [{ type: 'SessionUpdated', data: { name } }, ended];
  }
  return [{ type: 'SessionUpdated', data: defined({ name, summary, status }) }];
}

/** The object without its undefined fields: the log stores what was said, nothing more. */
function defined<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as never;
}
