import type { Envelope } from '../../../src/events/envelope.js';
import type { Session } from '../../../src/sessions/session.js';
import type { FetchLike } from '../sync/ports.js';
import { ApiError, type Problem } from './problem.js';

export interface ApiOptions {
  baseUrl: string;
  token?: string | undefined;
  fetch: (
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ) => ReturnType<FetchLike>;
}

/** A write's answer: the row right after it, and the position of its last event. */
export interface SessionAnswer {
  session: Session;
  position: number;
}

export interface EventsPage {
  events: Envelope[];
  /** The `before` of the next older page; absent when none is left. */
  next?: number;
  head: number;
}

/** The HTTP API as the dashboard uses it. Failures throw ApiError with the server's problem. */
export function createApi({ baseUrl, token, fetch }: ApiOptions) {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    // A retried write (a flaky network) must not start a second session.
    if (method !== 'GET') headers['idempotency-key'] = idempotencyKey();
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await fetch(new URL(path, baseUrl).toString(), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError({
        status: 0,
        type: 'network',
        title: 'Network error',
        detail: 'the server could not be reached',
        errors: [],
      });
    }
    const answer: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw new ApiError(asProblem(response.status, answer));
    return answer as T;
  }

  return {
    /** The sessions table as it was right after `asOf`. */
    sessionsAsOf: (asOf: number) =>
      request<{ sessions: Session[]; position: number }>('GET', `/api/sessions?asOf=${asOf}`),
    startSession: (body: { cwd: string; name?: string }) =>
      request<SessionAnswer>('POST', '/api/sessions', body),
    patchSession: (id: string, body: { name?: string; status?: 'completed' | 'failed' }) =>
      request<SessionAnswer>('PATCH', `/api/sessions/${encodeURIComponent(id)}`, body),
    deleteSession: (id: string) =>
      request<{ position: number }>('DELETE', `/api/sessions/${encodeURIComponent(id)}`),
    /** The page of a session's events below `before`, newest first. */
    sessionEventsBefore: (id: string, before: number, limit: number) =>
      request<{ events: Envelope[]; next?: number }>(
        'GET',
        `/api/sessions/${encodeURIComponent(id)}/events?before=${before}&limit=${limit}`,
      ),
    /** The page of the log's events below `before`, newest first, filtered. */
    events: (query: { before: number; limit: number; types?: string[]; stream?: string }) => {
      const params = new URLSearchParams({
        before: String(query.before),
        limit: String(query.limit),
      });
      if (query.types !== undefined && query.types.length > 0)
        params.set('types', query.types.join(','));
      if (query.stream !== undefined && query.stream !== '') params.set('streams', query.stream);
      return request<EventsPage>('GET', `/api/events?${params}`);
    },
    health: () => request<{ logId: string; head: number }>('GET', '/api/health'),
  };
}

export type Api = ReturnType<typeof createApi>;

function asProblem(status: number, body: unknown): Problem {
  const given = (typeof body === 'object' && body !== null ? body : {}) as Partial<Problem>;
  return {
    status,
    type: typeof given.type === 'string' ? given.type : 'about:blank',
    title: typeof given.title === 'string' ? given.title : `HTTP ${status}`,
    detail: typeof given.detail === 'string' ? given.detail : '',
    errors: Array.isArray(given.errors) ? given.errors : [],
  };
}

/** Random enough to be unique; crypto.randomUUID exists only in secure contexts. */
function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
