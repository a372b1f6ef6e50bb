import type { FieldIssue } from '../events/errors.js';

/** What a client asks for in the URL: `/ws?after=P&logId=L&streams=a,b&types=T1,T2`. */
export interface SubscriptionRequest {
  /** Undefined: from the current head (only new events). */
  after: number | undefined;
  logId: string | undefined;
  streams: string[] | undefined;
  types: string[] | undefined;
}

const MAX_FILTER_ITEMS = 100;
const MAX_FILTER_ITEM_LENGTH = 200;

/** Parses the subscription parameters; returns the issues instead when any is wrong. */
export function parseSubscription(
  params: URLSearchParams,
  knownTypes: ReadonlySet<string>,
): { ok: true; request: SubscriptionRequest } | { ok: false; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const afterText = params.get('after');
  let after: number | undefined;
  if (afterText !== null && afterText !== '') {
    after = /^\d{1,15}$/.test(afterText) ? Number(afterText) : Number.NaN;
    if (Number.isNaN(after))
      issues.push({ path: 'after', message: 'must be a position: an integer ≥ 0' });
  }
  const logId = params.get('logId') ?? undefined;
  if (logId !== undefined && (logId.length === 0 || logId.length > 100)) {
    issues.push({ path: 'logId', message: 'must be 1 to 100 characters' });
  }
  const list = (name: string): string[] | undefined => {
    const text = params.get(name);
    if (text === null || text === '') return undefined;
    const items = text.split(',').filter((item) => item !== '');
    if (
      items.length > MAX_FILTER_ITEMS ||
      items.some((item) => item.length > MAX_FILTER_ITEM_LENGTH)
    ) {
      issues.push({
        path: name,
        message: `at most ${MAX_FILTER_ITEMS} names of at most ${MAX_FILTER_ITEM_LENGTH} characters`,
      });
    }
    return items;
  };
  const streams = list('streams');
  const types = list('types');
  for (const type of types ?? []) {
    if (!knownTypes.has(type))
      issues.push({ path: 'types', message: `unknown event type ${JSON.stringify(type)}` });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, request: { after, logId, streams, types } };
}

/**
 * Why a client must drop its state and resubscribe (a `reset`), if it must: it holds another
 * log, or it claims a position this log has not reached.
 */
export function resetReason(
  logId: string,
  head: number,
  wanted: { logId: string | undefined; after: number },
): string | undefined {
  if (wanted.logId !== undefined && wanted.logId !== logId)
    return `this is log ${logId}, not ${wanted.logId}`;
  if (wanted.after > head) return `after ${wanted.after} is beyond the head ${head}`;
  return undefined;
}
