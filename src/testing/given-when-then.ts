import assert from 'node:assert/strict';
import type { Envelope } from '../events/envelope.js';
import type { SessionEvent } from '../events/schemas.js';
import { decide, type SessionCommand } from '../sessions/decide.js';
import { evolve, type SessionState } from '../sessions/session.js';

// The rules never read these, but evolve copies them into the state: fixed values keep a
// scenario's outcome independent of the clock.
const stream = 'session-test';
const time = '2026-01-01T00:00:00.000Z';

/** An error class of the rules: ConflictError, GoneError, NotFoundError, … */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** A session's history and a command against it, waiting for the expected outcome. */
export interface SessionScenario {
  /** Asserts that `decide` returns exactly these events, in this order. */
  then(expected: SessionEvent[]): void;
  /** Asserts that `decide` throws this error (the same as `thenThrows`). */
  then(expected: ErrorClass, messagePart?: string): void;
  /**
   * Asserts that `decide` throws an instance of `ErrorClass` (ConflictError, GoneError, …),
   * whose message contains `messagePart` when given.
   */
  thenThrows(ErrorClass: ErrorClass, messagePart?: string): void;
}

/** A session's history, waiting for a command. */
export interface SessionHistory {
  when(command: SessionCommand): SessionScenario;
}

/**
 * Given/when/then over the pure session rules, for any test runner: folds `events` (the
 * session's history, oldest first; empty for a session that does not exist) with `evolve`,
 * then asks `decide` what the command produces: these events, or this error. Failures are
 * `node:assert` errors, so it works under any test runner.
 *
 * @example
 * const started = { type: 'SessionStarted', data: { cwd: '/w', hostname: 'h', platform: 'linux' } };
 * given([started])
 *   .when({ type: 'endSession', data: { status: 'completed' } })
 *   .then([{ type: 'SessionEnded', data: { status: 'completed' } }]);
 * given([]).when({ type: 'endSession', data: { status: 'completed' } }).then(NotFoundError);
 */
export function given(events: SessionEvent[]): SessionHistory {
  const state = events.reduce<SessionState | null>((current, event, i) => {
    const recorded: Envelope = {
      ...event,
      id: `event-${i + 1}`,
      stream,
      version: i + 1,
      position: i + 1,
      time,
      hash: '',
      meta: { schemaVersion: 1 },
    };
    return evolve(current, recorded);
  }, null);
  return {
    when: (command) => {
      const scenario: SessionScenario = {
        // biome-ignore lint/suspicious/noThenProperty: given/when/then is the contract (SPEC, "The test kit"); awaiting a scenario is caught below.
        then(expected: SessionEvent[] | ErrorClass, messagePart?: string) {
          if (isErrorClass(expected)) return scenario.thenThrows(expected, messagePart);
          // `await scenario`, or a test returning one, calls then(resolve, reject): say so
          // rather than compare events with a function.
          if (!Array.isArray(expected)) {
            throw new TypeError(
              'a scenario is not a promise: end it with .then([...]), .then(ErrorClass) or .thenThrows(...)',
            );
          }
          assert.deepStrictEqual(decide(command, state), expected);
        },
        thenThrows(ErrorClass, messagePart) {
          let outcome: unknown;
          try {
            outcome = decide(command, state);
          } catch (error) {
            assert.ok(
              error instanceof ErrorClass,
              `expected ${ErrorClass.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
            );
            if (messagePart !== undefined) {
              assert.ok(
                error.message.includes(messagePart),
                `expected the ${ErrorClass.name} to mention ${JSON.stringify(messagePart)}, got ${JSON.stringify(error.message)}`,
              );
            }
            return;
          }
          assert.fail(
            `expected ${ErrorClass.name}, but ${command.type} decided ${JSON.stringify(outcome)}`,
          );
        },
      };
      return scenario;
    },
  };
}

/** An Error subclass, as opposed to the resolve callback `await` passes to `then`. */
function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && (value === Error || value.prototype instanceof Error);
}
