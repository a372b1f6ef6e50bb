import { SseParser } from '../../../src/protocol/sse-parser.js';
import type { OpenEventStream } from './ports.js';

/** The part of a streaming fetch Response this reader uses: the global one satisfies it. */
export interface StreamResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
}

export type StreamFetch = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<StreamResponseLike>;

/**
 * `text/event-stream` over fetch and a ReadableStream rather than EventSource, for three
 * reasons: the heartbeat comments are visible (EventSource drops them, so a quiet but
 * healthy stream would look dead to the watchdog); the token goes in an Authorization
 * header rather than the URL; and EventSource's own reconnection, which runs outside the
 * engine's backoff and cannot tell a refused request from a dropped one, is not in play:
 * each connection resumes with `after=` the engine's applied position.
 */
export function fetchEventStream(fetch: StreamFetch): OpenEventStream {
  return (url, headers, on) => {
    const abort = new AbortController();
    let ended = false;
    const end = (status: number, reason: string) => {
      if (ended) return;
      ended = true;
      on.close(status, reason);
    };
    void (async () => {
      try {
        const response = await fetch(url, { headers, signal: abort.signal });
        const type = response.headers.get('content-type') ?? '';
        if (!response.ok || response.body === null) {
          void response.body?.cancel().catch(() => {});
          end(response.status, `the event stream answered ${response.status}`);
          return;
        }
        if (!type.startsWith('text/event-stream')) {
          void response.body.cancel().catch(() => {});
          end(response.status, `the event stream answered ${type || 'no content type'}`);
          return;
        }
        on.open();
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        const parser = new SseParser();
        for (;;) {
          const { done, value } = await reader.read();
          if (ended) return;
          if (done) break;
          const items = parser.feed(decoder.decode(value, { stream: true }));
          if (items.length > 0) on.received(items);
        }
        end(200, 'the event stream ended');
      } catch (error) {
        // Aborted by close(): nobody listens any more. Otherwise the line failed.
        end(0, error instanceof Error ? `the event stream failed: ${error.message}` : 'failed');
      }
    })();
    return {
      close() {
        ended = true;
        abort.abort();
      },
    };
  };
}
