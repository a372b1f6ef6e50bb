import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { sessionsProjection } from '../src/projections/sessions-projection.js';
import { DATA_NOT_READ, evolve, type SessionState } from '../src/sessions/session.js';
import {
  ConflictError,
  GoneError,
  given,
  NotFoundError,
  type SessionCommand,
  type SessionEvent,
} from '../src/testing/index.js';

const startData = { cwd: '/home/ada/project', hostname: 'laptop', platform: 'linux' };

const started: SessionEvent = { type: 'SessionStarted', data: startData };
const wentInProgress: SessionEvent = { type: 'SessionUpdated', data: { status: 'in_progress' } };
const completed: SessionEvent = { type: 'SessionEnded', data: { status: 'completed' } };
const failed: SessionEvent = { type: 'SessionEnded', data: { status: 'failed', reason: 'crash' } };
const deleted: SessionEvent = { type: 'SessionDeleted', data: {} };

// Histories, oldest event first.
const none: SessionEvent[] = [];
const pending = [started];
const inProgress = [started, wentInProgress];
const completedSession = [...inProgress, completed];
const failedSession = [...inProgress, failed];
const deletedSession = [...inProgress, deleted];

const fileChange = { change: 'modified', path: 'src/index.ts', kind: 'file' } as const;
const watchFailure = { error: 'more than 10000 entries under the cwd' };
// Each event type that follows a start.
const afterStart: SessionEvent[] = [
  wentInProgress,
  completed,
  deleted,
  { type: 'FileChanged', data: fileChange },
  { type: 'WatchFailed', data: watchFailure },
];

const start: SessionCommand = { type: 'startSession', data: startData };
const rename: SessionCommand = { type: 'updateSession', data: { name: 'refactor the parser' } };
const summarize: SessionCommand = { type: 'updateSession', data: { summary: 'split lexer out' } };
const markInProgress: SessionCommand = { type: 'updateSession', data: { status: 'in_progress' } };
const complete: SessionCommand = {
  type: 'endSession',
  data: { status: 'completed', summary: 'parser split' },
};
const fail: SessionCommand = { type: 'endSession', data: { status: 'failed', reason: 'OOM' } };
const remove: SessionCommand = { type: 'deleteSession', data: { reason: 'test run' } };
const recordFileChange: SessionCommand = { type: 'recordFileChange', data: fileChange };
const recordWatchFailure: SessionCommand = { type: 'recordWatchFailure', data: watchFailure };

describe('session rules', () => {
  describe('startSession', () => {
    it('starts a session that does not exist yet', () => {
      given(none)
        .when(start)
        .then([{ type: 'SessionStarted', data: startData }]);
    });

    it('refuses to start a session that already exists', () => {
      given(pending).when(start).thenThrows(ConflictError, 'already exists');
    });
  });

  describe('updateSession', () => {
    it('renames a pending session', () => {
      given(pending)
        .when(rename)
        .then([{ type: 'SessionUpdated', data: { name: 'refactor the parser' } }]);
    });

    it('records a summary on a pending session', () => {
      given(pending)
        .when(summarize)
        .then([{ type: 'SessionUpdated', data: { summary: 'split lexer out' } }]);
    });

    it('puts a pending session in progress', () => {
      given(pending)
        .when(markInProgress)
        .then([{ type: 'SessionUpdated', data: { status: 'in_progress' } }]);
    });

    it('renames a session in progress', () => {
      given(inProgress)
        .when(rename)
        .then([{ type: 'SessionUpdated', data: { name: 'refactor the parser' } }]);
    });

    it('records a summary on a session in progress', () => {
      given(inProgress)
        .when(summarize)
        .then([{ type: 'SessionUpdated', data: { summary: 'split lexer out' } }]);
    });

    it('accepts all three fields in one update', () => {
      const data = { name: 'n', summary: 's', status: 'in_progress' } as const;
      given(inProgress)
        .when({ type: 'updateSession', data })
        .then([{ type: 'SessionUpdated', data }]);
    });

    it('a completed session refuses a rename', () => {
      given(completedSession).when(rename).thenThrows(ConflictError, 'has ended');
    });

    it('a failed session refuses a new summary', () => {
      given(failedSession).when(summarize).thenThrows(ConflictError, 'has ended');
    });

    it('a completed session cannot be put back in progress', () => {
      given(completedSession).when(markInProgress).thenThrows(ConflictError, 'has ended');
    });

    it('a deleted session answers Gone to an update', () => {
      given(deletedSession).when(rename).thenThrows(GoneError, 'deleted');
    });

    it('a session deleted after it ended answers Gone, not Conflict', () => {
      given([...completedSession, deleted])
        .when(rename)
        .thenThrows(GoneError);
    });

    it('an unknown session answers Not Found to an update', () => {
      given(none).when(rename).thenThrows(NotFoundError);
    });
  });

  describe('endSession', () => {
    it('completes a session in progress, with its summary', () => {
      given(inProgress)
        .when(complete)
        .then([{ type: 'SessionEnded', data: { status: 'completed', summary: 'parser split' } }]);
    });

    it('fails a session in progress, with its reason', () => {
      given(inProgress)
        .when(fail)
        .then([{ type: 'SessionEnded', data: { status: 'failed', reason: 'OOM' } }]);
    });

    it('a pending session can fail before it got going', () => {
      given(pending)
        .when(fail)
        .then([{ type: 'SessionEnded', data: { status: 'failed', reason: 'OOM' } }]);
    });

    it('a completed session cannot end again', () => {
      given(completedSession).when(complete).thenThrows(ConflictError, 'has ended');
    });

    it('a failed session cannot be completed afterwards', () => {
      given(failedSession).when(complete).thenThrows(ConflictError, 'has ended');
    });

    it('a deleted session answers Gone to an end', () => {
      given(deletedSession).when(complete).thenThrows(GoneError);
    });

    it('an unknown session answers Not Found to an end', () => {
      given(none).when(complete).thenThrows(NotFoundError);
    });
  });

  describe('deleteSession', () => {
    it('deletes a session in progress', () => {
      given(inProgress)
        .when(remove)
        .then([{ type: 'SessionDeleted', data: { reason: 'test run' } }]);
    });

    it('deletes a completed session', () => {
      given(completedSession)
        .when(remove)
        .then([{ type: 'SessionDeleted', data: { reason: 'test run' } }]);
    });

    it('deletes a failed session', () => {
      given(failedSession).when({ type: 'deleteSession', data: {} }).then([deleted]);
    });

    it('a deleted session cannot be deleted again', () => {
      given(deletedSession).when(remove).thenThrows(GoneError);
    });

    it('an unknown session answers Not Found to a delete', () => {
      given(none).when(remove).thenThrows(NotFoundError);
    });
  });

  describe('recordFileChange', () => {
    it('records a file change in a pending session', () => {
      given(pending)
        .when(recordFileChange)
        .then([{ type: 'FileChanged', data: fileChange }]);
    });

    it('records a file change in a session in progress', () => {
      given(inProgress)
        .when(recordFileChange)
        .then([{ type: 'FileChanged', data: fileChange }]);
    });

    it('an ended session records no more file changes', () => {
      given(completedSession).when(recordFileChange).thenThrows(ConflictError, 'has ended');
    });

    it('a deleted session answers Gone to a file change', () => {
      given(deletedSession).when(recordFileChange).thenThrows(GoneError);
    });

    it('an unknown session answers Not Found to a file change', () => {
      given(none).when(recordFileChange).thenThrows(NotFoundError);
    });
  });

  describe('recordWatchFailure', () => {
    it('records a watch failure in a session in progress', () => {
      given(inProgress)
        .when(recordWatchFailure)
        .then([{ type: 'WatchFailed', data: watchFailure }]);
    });

    it('an ended session records no more watch failures', () => {
      given(failedSession).when(recordWatchFailure).thenThrows(ConflictError, 'has ended');
    });

    it('a deleted session answers Gone to a watch failure', () => {
      given(deletedSession).when(recordWatchFailure).thenThrows(GoneError);
    });

    it('an unknown session answers Not Found to a watch failure', () => {
      given(none).when(recordWatchFailure).thenThrows(NotFoundError);
    });
  });
});

/** Folds events recorded at the given times into one stream, as the log would. */
function replay(
  history: Array<[time: string, event: SessionEvent]>,
  stream = 'session-1',
): SessionState | null {
  return history.reduce<SessionState | null>(
    (state, [time, event], i) =>
      evolve(state, {
        ...event,
        stream,
        version: i + 1,
        position: i + 1,
        time,
      }),
    null,
  );
}

const t1 = '2026-03-01T10:00:00.000Z';
const t2 = '2026-03-01T10:05:00.000Z';
const t3 = '2026-03-01T10:30:00.000Z';
const t4 = '2026-03-01T11:00:00.000Z';

describe('evolve', () => {
  it('a new session is pending and takes its row from the start event', () => {
    expect(replay([[t1, started]])).toEqual({
      id: 'session-1',
      name: null,
      cwd: '/home/ada/project',
      hostname: 'laptop',
      platform: 'linux',
      user: null,
      status: 'pending',
      summary: null,
      startedAt: t1,
      endedAt: null,
      lastActivityAt: t1,
      fileChanges: 0,
      version: 1,
      deletedAt: null,
    });
  });

  it.each(afterStart)(
    "a $type keeps every field of the row, in the row's order, and leaves the state before as it was",
    (event) => {
      const named: [string, SessionEvent] = [
        t1,
        { type: 'SessionStarted', data: { ...startData, name: 'x' } },
      ];
      const before = replay([named]);
      const copy = structuredClone(before);
      const after = replay([named, [t2, event]]);
      // The HTTP answers list a row's fields in this order (sessionsProjection's columns).
      const fields = sessionsProjection.table.columns.map(({ field }) => field);
      expect(Object.keys(after ?? {})).toEqual(fields);
      expect(
        evolve(before, { ...event, stream: 'session-1', version: 2, position: 2, time: t2 }),
      ).toEqual(after);
      expect(before).toEqual(copy);
    },
  );

  it('a session goes from pending to in progress to completed', () => {
    const history: Array<[string, SessionEvent]> = [
      [t1, started],
      [t2, wentInProgress],
      [t3, completed],
    ];
    expect([1, 2, 3].map((n) => replay(history.slice(0, n))?.status)).toEqual([
      'pending',
      'in_progress',
      'completed',
    ]);
  });

  it('an update changes only the fields it names', () => {
    const session = replay([
      [t1, { type: 'SessionStarted', data: { ...startData, name: 'first' } }],
      [t2, { type: 'SessionUpdated', data: { summary: 'so far so good' } }],
      [t3, { type: 'SessionUpdated', data: { name: 'second' } }],
    ]);
    expect(session).toMatchObject({ name: 'second', summary: 'so far so good', status: 'pending' });
  });

  it('counts every file change', () => {
    const change: SessionEvent = { type: 'FileChanged', data: fileChange };
    const session = replay([
      [t1, started],
      [t2, change],
      [t2, change],
      [t3, change],
    ]);
    expect(session).toMatchObject({ fileChanges: 3, version: 4, lastActivityAt: t3 });
  });

  it('takes endedAt and lastActivityAt from the time the session ended', () => {
    const session = replay([
      [t1, started],
      [t2, wentInProgress],
      [t3, { type: 'SessionEnded', data: { status: 'failed', summary: 'gave up' } }],
    ]);
    expect(session).toMatchObject({
      status: 'failed',
      summary: 'gave up',
      endedAt: t3,
      lastActivityAt: t3,
      startedAt: t1,
    });
  });

  it('a watch failure bumps the version but is not activity', () => {
    const session = replay([
      [t1, started],
      [t2, wentInProgress],
      [t3, { type: 'WatchFailed', data: watchFailure }],
    ]);
    expect(session).toMatchObject({ version: 3, lastActivityAt: t2 });
  });

  it('a deletion marks the session deleted at the event time and keeps its row', () => {
    const session = replay([
      [t1, started],
      [t2, wentInProgress],
      [t4, deleted],
    ]);
    expect(session).toMatchObject({ deletedAt: t4, version: 3, status: 'in_progress' });
  });

  it.each(afterStart)('a $type on an unknown stream yields no session', (event) => {
    expect(replay([[t1, event]])).toBeNull();
  });

  // A fold from stored rows leaves the data of DATA_NOT_READ's types unparsed (undefined):
  // the projection, well-formedness check and all, must not look at it.
  const samples: SessionEvent[] = [
    deleted,
    { type: 'FileChanged', data: fileChange },
    { type: 'WatchFailed', data: watchFailure },
  ];
  it.each(
    [...DATA_NOT_READ].map(
      (type) => samples.find((sample) => sample.type === type) as SessionEvent,
    ),
  )('the sessions projection never reads the data of a $type', (event) => {
    const untouchable = new Proxy(
      {},
      {
        get: () => expect.unreachable(`${event.type}'s data was read`),
        ownKeys: () => expect.unreachable(`${event.type}'s data was listed`),
        has: () => expect.unreachable(`${event.type}'s data was looked into`),
      },
    );
    const before = replay([[t1, started]]);
    const at = { stream: 'session-1', version: 2, position: 2, time: t2 };
    const { evolve: project } = sessionsProjection;
    expect(project(before, { ...at, type: event.type, data: untouchable })).toEqual(
      project(before, { ...at, ...event }),
    );
  });
});

describe('given/when/then', () => {
  it('fails when decide produces other events', () => {
    expect(() => given(none).when(start).then([])).toThrow(AssertionError);
  });

  it('fails when an expected error is not thrown', () => {
    expect(() => given(none).when(start).thenThrows(ConflictError)).toThrow(
      /expected ConflictError, but startSession decided/,
    );
  });

  it('fails when decide throws a different error', () => {
    expect(() => given(deletedSession).when(rename).thenThrows(ConflictError)).toThrow(
      /expected ConflictError, got GoneError/,
    );
  });

  it("fails when the error's message lacks the expected part", () => {
    expect(() => given(completedSession).when(rename).thenThrows(ConflictError, 'nope')).toThrow(
      /to mention "nope"/,
    );
  });

  it('folds the history under one stream, which the errors name', () => {
    given(pending).when(start).thenThrows(ConflictError, 'session session-test already exists');
  });

  it('takes the expected error in then() as well', () => {
    given(completedSession).when(rename).then(ConflictError, 'has ended');
    expect(() => given(pending).when(rename).then(GoneError)).toThrow(
      /expected GoneError, but updateSession decided/,
    );
  });

  it('rejects, with a hint, when a scenario is awaited instead of asserted', async () => {
    const scenario: unknown = given(none).when(start);
    await expect(Promise.resolve(scenario)).rejects.toThrow(/not a promise/);
  });
});

describe('a patch (PATCH /api/sessions/:id)', () => {
  it('renames, summarizes and moves a pending session on in one event', () => {
    given(pending)
      .when({ type: 'patchSession', data: { name: 'n', summary: 's', status: 'in_progress' } })
      .then([{ type: 'SessionUpdated', data: { name: 'n', summary: 's', status: 'in_progress' } }]);
  });

  it('that ends the session records the rename first, then the end with its summary', () => {
    given(inProgress)
      .when({ type: 'patchSession', data: { name: 'n', summary: 'done', status: 'completed' } })
      .then([
        { type: 'SessionUpdated', data: { name: 'n' } },
        { type: 'SessionEnded', data: { status: 'completed', summary: 'done' } },
      ]);
  });

  it('is refused on an ended session and on a deleted one', () => {
    given(completedSession)
      .when({ type: 'patchSession', data: { name: 'n' } })
      .then(ConflictError);
    given(deletedSession)
      .when({ type: 'patchSession', data: { name: 'n' } })
      .then(GoneError);
  });
});
