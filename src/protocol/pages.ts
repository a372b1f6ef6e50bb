/** SPEC: an event page's `limit` defaults to 1000 and is at most 10000. */
export const EVENT_PAGE = { default: 1000, max: 10_000 } as const;

/** SPEC, "Reading a long history": a sessions page's `limit` is 1 to 1000 (no default: without it, the whole table). */
export const SESSIONS_PAGE = { max: 1000 } as const;
