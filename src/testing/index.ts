/**
 * `sessionlog/testing`: for tests of code that talks to sessionlog. Start a throwaway server,
 * subscribe to its event stream and wait for what should arrive, and check the session rules
 * with given/when/then. The vitest matchers are in `sessionlog/testing/vitest`, so that this
 * entry needs no test runner.
 */
export type {
  AnyEvent,
  Envelope,
  EventMeta,
} from '../events/envelope.js';
export {
  ConflictError,
  GoneError,
  NotFoundError,
  ValidationError,
} from '../events/errors.js';
export type { SessionEvent } from '../events/schemas.js';
export type { SessionCommand } from '../sessions/decide.js';
export type { Session, SessionStatus } from '../sessions/session.js';
export {
  type ErrorClass,
  given,
  type SessionHistory,
  type SessionScenario,
} from './given-when-then.js';
export type { PartialEvent } from './match-events.js';
export { startServer, type TestServer, type TestServerOptions } from './start-server.js';
export {
  type ClientFrame,
  type Collector,
  type SubscribeOptions,
  subscribe,
  type WaitOptions,
  type WaitTarget,
} from './subscribe.js';
export { type SseCollector, type SseSubscribeOptions, subscribeSse } from './subscribe-sse.js';
