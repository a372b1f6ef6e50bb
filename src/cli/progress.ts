/**
 * Progress of a long command on a terminal: the position reached, events/s, and the time left
 * when the end is known. Written to standard error only when it is a TTY, at most four times a
 * second, on one line that is cleared at the end: pipes and CI logs get none of it.
 */
export interface Progress {
  /** `done` of `total` (total 0: not known); `label` says what is being done. */
  update(done: number, total: number, label?: string): void;
  /** Clears the line (a later update shows it again). */
  end(): void;
}

const EVERY_MS = 250;

/** A progress line on `stream` when it is a terminal; one that writes nothing otherwise. */
export function progressOn(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  now: () => number = () => performance.now(),
): Progress {
  if (stream.isTTY !== true) return { update() {}, end() {} };
  const started = now();
  let last = -Infinity;
  let shown = false;
  return {
    update(done, total, label = 'position') {
      const at = now();
      if (at - last < EVERY_MS) return;
      last = at;
      shown = true;
      stream.write(`\r\x1b[K${progressLine(label, done, total, (at - started) / 1000)}`);
    },
    end() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** `position 512,000 of 1,000,000 · 210,000 events/s · 2 s left` (what the line shows). */
export function progressLine(label: string, done: number, total: number, seconds: number): string {
  const count = (n: number) => Math.round(n).toLocaleString('en-US');
  const rate = seconds > 0 ? done / seconds : 0;
  const parts = [`${label} ${count(done)}${total > 0 ? ` of ${count(total)}` : ''}`];
  if (rate > 0) parts.push(`${count(rate)} events/s`);
  if (total > 0 && rate > 0 && done <= total)
    parts.push(`${Math.ceil((total - done) / rate)} s left`);
  return parts.join(' · ');
}
