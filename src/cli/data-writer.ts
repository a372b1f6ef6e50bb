/**
 * Writes a command's data (NDJSON) to a stream: waits for `drain` when the stream's buffer is
 * full, so a slow reader holds the writer back instead of the process buffering the log; and
 * notices when the reader went away (EPIPE, as in `sessionlog events | head`), so the command
 * stops quietly instead of dying on an unhandled error.
 */
export class DataWriter {
  readonly #stream: NodeJS.WritableStream;
  readonly #aborted = new AbortController();
  #failure: Error | undefined;
  readonly #onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') this.#failure = error;
    this.#aborted.abort();
  };

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    stream.on('error', this.#onError);
  }

  /** Aborted once the stream failed or its reader went away: nothing more can be written. */
  get closed(): AbortSignal {
    return this.#aborted.signal;
  }

  /** A failure other than the reader going away (which is a normal end), if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Resolves once `text` was accepted (immediately when the stream is closed). */
  async write(text: string | Uint8Array): Promise<void> {
    if (this.closed.aborted || text.length === 0) return;
    if (this.#stream.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#stream.off('drain', done);
        this.closed.removeEventListener('abort', done);
        resolve();
      };
      this.#stream.on('drain', done);
      this.closed.addEventListener('abort', done);
    });
  }

  /** Waits until what was written has been handed to the system, and lets the stream go. */
  async finish(): Promise<void> {
    if (!this.closed.aborted) {
      await new Promise<void>((resolve) => {
        this.closed.addEventListener('abort', () => resolve());
        this.#stream.write('', () => resolve());
      });
    }
    // Errors after this (a late EPIPE) must not crash the process either.
    this.#stream.off('error', this.#onError);
    this.#stream.on('error', () => {});
  }
}
