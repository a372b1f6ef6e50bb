/** SPEC: an event page's `limit` defaults to 1000 and is at most 10000. */
export const EVENT_PAGE = { default: 1000, max: 10_000 } as const;
