import { IdempotencyKeyReusedError, VersionConflictError } from '../events/errors.js';
import { canonicalJson, sha256Hex } from '../events/hash.js';
import type { AppendResult, EventStore, IdempotencyRecord } from '../events/store.js';
import { uuidv7 } from '../events/uuid-v7.js';
import { decide, type SessionCommand } from './decide.js';
import { evolve, type SessionState } from './session.js';

export interface CommandOptions {
  /** The version the caller last saw (`If-Match`): a different one is a VersionConflictError. */
  expectedVersion?: number;
  idempotencyKey?: string;
  /** Tells requests under one idempotency key apart; defaults to a digest of the command. */
  fingerprint?: string;
  meta?: { requestId?: string; actor?: string };
  /**
   * What a lookup of `idempotencyKey` found just before (null: nothing), when the caller had
   * to make one already: the command does not look again. The append checks the key in its
   * own transaction whatever this says, so a key taken in between is still caught there.
   */
  idempotencyRecord?: IdempotencyRecord | null;
}

export interface CommandResult {
  /** The session right after the command's events. */
  session: SessionState;
  /** Position of the last event appended (or, for a replay, appended the first time). */
  position: number;
  replayed: boolean;
}

export interface SessionCommandsDeps {
  store: EventStore;
  /** The session's current state; the sessions table answers it with read-your-writes. */
  load(id: string): SessionState | null | Promise<SessionState | null>;
  newSessionId?: () => string;
}

/**
 * Runs commands against sessions: load the state, decide, append with the version decided
 * on. A caller that named a version (`If-Match`) loses to a writer that got there first; one
 * that did not has its command decided again, at commit, on the state that writer left: it
 * applies in some order however many race (or meets the ended or deleted session it raced).
 */
export function sessionCommands({
  store,
  load,
  // Time-ordered, so that new sessions land at the end of the sessions table's index.
  newSessionId = () => `session-${uuidv7()}`,
}: SessionCommandsDeps) {
  async function execute(
    id: string,
    command: SessionCommand,
    options: CommandOptions,
  ): Promise<CommandResult> {
    const { idempotencyKey, expectedVersion, meta } = options;
    // Only a keyed command is ever compared with another: without a key, no digest is made.
    const fingerprint =
      idempotencyKey === undefined
        ? undefined
        : (options.fingerprint ??
          sha256Hex(
            canonicalJson({ command, session: command.type === 'startSession' ? null : id }),
          ));
    if (idempotencyKey !== undefined) {
      // Checked before deciding: a repeated "end" must answer as the first one did, not 409.
      const earlier =
        options.idempotencyRecord === undefined
          ? await store.findIdempotencyKey(idempotencyKey)
          : (options.idempotencyRecord ?? undefined);
      if (earlier !== undefined) {
        if (earlier.fingerprint !== fingerprint)
          throw new IdempotencyKeyReusedError(idempotencyKey);
        return replay(earlier.result);
      }
    }
    // A new session's id was just made: there is nothing to load (and the append's
    // 'no-stream' expectation still guards against a collision).
    const state = command.type === 'startSession' ? null : await load(id);
    const version = state?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== version) {
      throw new VersionConflictError(id, expectedVersion, version);
    }
    const decideOn = (on: SessionState | null) =>
      decide(command, on).map((event) => (meta === undefined ? event : { ...event, meta }));
    // The states decided on, by version: the appended events follow one of them.
    const decidedOn = new Map([[version, state]]);
    const result = await store.append(id, decideOn(state), {
      expectedVersion: state === null ? 'no-stream' : version,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey, fingerprint }),
      ...(expectedVersion !== undefined || state === null
        ? {}
        : {
            redecide(missed) {
              const now = missed.reduce(evolve, state);
              decidedOn.set(now?.version ?? 0, now);
              return decideOn(now);
            },
          }),
    });
    if (result.replayed) return replay(result);
    const before = decidedOn.get((result.events[0]?.version ?? 1) - 1);
    const session = result.events.reduce(evolve, before ?? null);
    if (session === null) throw new Error(`${command.type} left session ${id} without state`);
    return { session, position: result.position, replayed: false };
  }

  /** The answer of an earlier append, rebuilt from the log, which never changes. */
  async function replay(result: Pick<AppendResult, 'stream' | 'position'>): Promise<CommandResult> {
    const events = await store.readStream(result.stream, { upTo: result.position });
    const session = events.reduce(evolve, null);
    if (session === null) throw new Error(`no session in stream ${result.stream}`);
    return { session, position: result.position, replayed: true };
  }

  type DataOf<T extends SessionCommand['type']> = Extract<SessionCommand, { type: T }>['data'];
  return {
    start: (data: DataOf<'startSession'>, options: CommandOptions = {}) =>
      execute(newSessionId(), { type: 'startSession', data }, options),
    update: (id: string, data: DataOf<'updateSession'>, options: CommandOptions = {}) =>
      execute(id, { type: 'updateSession', data }, options),
    end: (id: string, data: DataOf<'endSession'>, options: CommandOptions = {}) =>
      execute(id, { type: 'endSession', data }, options),
    /** Rename, summarize, move on or end, in one command (`PATCH /api/sessions/:id`). */
    patch: (id: string, data: DataOf<'patchSession'>, options: CommandOptions = {}) =>
      execute(id, { type: 'patchSession', data }, options),
    delete: (id: string, data: DataOf<'deleteSession'> = {}, options: CommandOptions = {}) =>
      execute(id, { type: 'deleteSession', data }, options),
    recordFileChange: (
      id: string,
      data: DataOf<'recordFileChange'>,
      options: CommandOptions = {},
    ) => execute(id, { type: 'recordFileChange', data }, options),
    recordWatchFailure: (
      id: string,
      data: DataOf<'recordWatchFailure'>,
      options: CommandOptions = {},
    ) => execute(id, { type: 'recordWatchFailure', data }, options),
  };
}

export type SessionCommands = ReturnType<typeof sessionCommands>;
