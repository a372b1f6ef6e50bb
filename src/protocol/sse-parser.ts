/** One thing read from a `text/event-stream`: a message, or a comment (the heartbeat). */
export type SseItem =
  | { type: 'message'; event: string; data: string; id: string | undefined }
  | { type: 'comment'; text: string };

/**
 * An incremental `text/event-stream` parser (the HTML standard's rules, minus `retry:`,
 * which only EventSource's own reconnection uses): fed the text as it arrives, in chunks cut
 * anywhere, it returns what each chunk completed. Comments are kept, unlike in EventSource:
 * they are the server's heartbeat, and the engine's watchdog needs to hear it.
 */
export class SseParser {
  #pending = '';
  // A chunk that ended in '\r' may be followed by the '\n' of the same line end.
  #afterCr = false;
  #event = '';
  #data: string[] = [];
  #id: string | undefined;

  feed(text: string): SseItem[] {
    let input = text;
    if (this.#afterCr && input.startsWith('\n')) input = input.slice(1);
    this.#afterCr = input.endsWith('\r');
    const lines = (this.#pending + input).split(/\r\n|\r|\n/);
    // The last piece has no line end yet (or is empty after a final line end).
    this.#pending = lines.pop() ?? '';
    const items: SseItem[] = [];
    for (const line of lines) this.#line(line, items);
    return items;
  }

  #line(line: string, items: SseItem[]): void {
    if (line === '') {
      // A blank line ends a message; one without data is not dispatched (as in EventSource).
      if (this.#data.length > 0) {
        items.push({
          type: 'message',
          event: this.#event === '' ? 'message' : this.#event,
          data: this.#data.join('\n'),
          id: this.#id,
        });
      }
      this.#event = '';
      this.#data = [];
      this.#id = undefined;
      return;
    }
    if (line.startsWith(':')) {
      items.push({ type: 'comment', text: line.slice(1).trimStart() });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
  }
}
