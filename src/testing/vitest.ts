import { expect, type MatcherState } from 'vitest';
import {
  eventsOf,
  findInOrder,
  outline,
  type PartialEvent,
  type SubsetEquals,
  shapedLike,
} from './match-events.js';

export type { PartialEvent } from './match-events.js';

/** The matchers `sessionlog/testing/vitest` adds to vitest's `expect`. */
export interface EventMatchers<R = unknown> {
  /**
   * The events (an array, or a collector from `subscribe`) contain these partial events in
   * this order; other events may lie between them.
   */
  toContainEvents(expected: readonly PartialEvent[]): R;
  /** The events are exactly these partial events, one for one, in this order. */
  toEqualEvents(expected: readonly PartialEvent[]): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: the signature vitest declares Matchers with
  interface Matchers<T = any> extends EventMatchers<T> {}
}

/** `toMatchObject`'s equality: every field the partial names, at any depth. */
function subsetEquals(state: MatcherState): SubsetEquals {
  const testers = [
    ...state.customTesters,
    state.utils.iterableEquality,
    state.utils.subsetEquality,
  ];
  return (event, partial) => state.equals(event, partial, testers);
}

function notEvents(state: MatcherState, name: string, received: unknown) {
  return {
    pass: false,
    message: () =>
      `${state.utils.matcherHint(`.${name}`)}\n\nexpected an array of events or a collector, received ${state.utils.printReceived(received)}`,
  };
}

/**
 * The matchers, for `expect.extend` (importing this module already extends vitest's global
 * `expect` with them).
 */
export const eventMatchers = {
  toContainEvents(this: MatcherState, received: unknown, expected: readonly PartialEvent[]) {
    const events = eventsOf(received);
    if (events === undefined) return notEvents(this, 'toContainEvents', received);
    const found = findInOrder(events, expected, subsetEquals(this));
    const pass = found.length === expected.length;
    const hint = this.utils.matcherHint(`${this.isNot ? '.not' : ''}.toContainEvents`);
    if (pass) {
      const at = found.map((i) => `#${events[i]?.position}`).join(', ');
      return {
        pass,
        message: () =>
          `${hint}\n\nexpected the events not to contain these in order, but they do (${at})`,
      };
    }
    const missing = expected[found.length] as PartialEvent;
    const from = (found.at(-1) ?? -1) + 1;
    const after = from === 0 ? '' : ` after position ${events[from - 1]?.position}`;
    // The likeliest intended event: the next one of the same type, else the next one.
    const rest = events.slice(from);
    const near = rest.find((e) => missing.type !== undefined && e.type === missing.type) ?? rest[0];
    return {
      pass,
      message: () =>
        [
          hint,
          '',
          `matched ${found.length} of ${expected.length} partial events in order; nothing${after} matches partial event ${found.length + 1}:`,
          near === undefined
            ? `  ${this.utils.printExpected(missing)}\n(no events left to compare)`
            : this.utils.diff(missing, shapedLike(near, missing), { expand: false }),
          '',
          'received:',
          outline(events),
        ].join('\n'),
    };
  },

  toEqualEvents(this: MatcherState, received: unknown, expected: readonly PartialEvent[]) {
    const events = eventsOf(received);
    if (events === undefined) return notEvents(this, 'toEqualEvents', received);
    const equals = subsetEquals(this);
    const pass =
      events.length === expected.length && events.every((e, i) => equals(e, expected[i] ?? {}));
    const shaped = events.map((event, i) =>
      shapedLike(event, expected[i] ?? { position: 0, type: '', stream: '' }),
    );
    const hint = this.utils.matcherHint(`${this.isNot ? '.not' : ''}.toEqualEvents`);
    return {
      pass,
      message: () =>
        pass
          ? `${hint}\n\nexpected the events not to be exactly these ${expected.length}, but they are`
          : `${hint}\n\nexpected exactly ${expected.length} events, received ${events.length}:\n${this.utils.diff(expected, shaped, { expand: false })}\n\nreceived:\n${outline(events)}`,
    };
  },
};

expect.extend(eventMatchers);
