import type { DataWriter } from './data-writer.js';
import { type EventFilter, eventQuery } from './event-filter.js';

/**
 * Copies `GET /api/events` with `Accept: application/x-ndjson` from a running server to the
 * writer, byte for byte: every matching event after `filter.after` up to the server's head.
 */
export async function eventsFromUrl(
  origin: string,
  token: string | undefined,
  filter: EventFilter,
  { writer, signal }: { writer: DataWriter; signal: AbortSignal },
): Promise<void> {
  const url = new URL(`/api/events?${eventQuery(filter)}`, origin);
  const response = await request(url, token, 'application/x-ndjson', signal);
  try {
    for await (const chunk of response.body ?? []) {
      await writer.write(chunk);
      if (signal.aborted) break;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

/**
 * A GET with the token as a bearer; an answer other than 200 becomes an error that says what
 * the server said (the detail of its problem+json).
 */
export async function request(
  url: URL,
  token: string | undefined,
  accept: string,
  signal?: AbortSignal,
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
    throw new Error(`cannot reach ${url.origin}: ${cause}`);
  }
  if (response.ok) return response;
  const text = await response.text();
  let detail = text.trim();
  try {
    const problem = JSON.parse(text) as { detail?: string; errors?: { message: string }[] };
    detail = [problem.detail, ...(problem.errors ?? []).map((e) => e.message)]
      .filter(Boolean)
      .join(': ');
  } catch {
    // Not problem+json: say what came.
  }
  throw new Error(`${url.pathname} answered ${response.status}: ${detail}`);
}
