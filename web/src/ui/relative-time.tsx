import { type ReadonlySignal, useComputed } from '@preact/signals';
import { absoluteTime, relativeTime } from './format.js';

/**
 * A time that keeps saying how long ago it was, with the exact time on hover. The text is a
 * computed signal bound straight to the DOM: the clock ticks every second, but a row is
 * touched only when its words change ("5 min ago" → "6 min ago"), not re-rendered each tick.
 */
export function RelativeTime({ iso, now }: { iso: string; now: ReadonlySignal<number> }) {
  const text = useComputed(() => relativeTime(iso, now.value));
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {text}
    </time>
  );
}
