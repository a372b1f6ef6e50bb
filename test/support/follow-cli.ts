import { Writable } from 'node:stream';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** A CLI command running in-process until stopped, whose data can be read as it comes. */
export interface RunningCli {
  /** The complete NDJSON lines written so far, parsed. */
  events(): { position: number; type: string; stream: string }[];
  /** Waits until the last event written has this position. */
  waitForPosition(position: number, timeout?: number): Promise<void>;
  /** Stops it as SIGINT would, and returns its exit code and what it printed to the console. */
  stop(): Promise<{ code: number; output: string; data: string }>;
}

/** Starts `sessionlog <argv>` in-process, e.g. `events --follow`, until `stop()`. */
export function startCli(...argv: string[]): RunningCli {
  let text = '';
  const lines: string[] = [];
  const data = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const controller = new AbortController();
  const running = main(argv, {
    log: (line) => lines.push(line),
    error: (line) => lines.push(line),
    data,
    signal: controller.signal,
  });
  const events = () =>
    text
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as { position: number; type: string; stream: string });
  return {
    events,
    async waitForPosition(position, timeout = 10_000) {
      await vi.waitFor(
        () => {
          if ((events().at(-1)?.position ?? 0) < position) {
            throw new Error(`at ${events().at(-1)?.position ?? 0} of ${position}: ${lines}`);
          }
        },
        { timeout, interval: 20 },
      );
    },
    async stop() {
      controller.abort();
      const code = await running;
      return { code, output: lines.join('\n'), data: text };
    },
  };
}
