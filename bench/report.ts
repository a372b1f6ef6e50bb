import type { Summary } from './stats.js';

/**
 * One line of the report: a section title, a measured figure, a ratio of two figures, or a
 * note (a count that must be zero, how busy a process was: what a reader needs to trust a
 * figure). A target is a floor, unless `ceiling` says that lower is better (latency, memory).
 */
export type ReportLine =
  | { kind: 'section'; title: string }
  | {
      kind: 'figure';
      name: string;
      summary: Summary;
      unit: string;
      target?: number;
      ceiling?: boolean;
    }
  | {
      kind: 'ratio';
      name: string;
      ratio: number;
      perRound?: Summary;
      /**
       * The ratio's 90 % confidence interval (a median of paired rounds): a target is then met
       * only when all of it is, not just its middle, unless `judgedOn` is the median.
       */
      interval?: { low: number; high: number };
      /**
       * `median`: the target is judged on the ratio itself, as every other figure here is, and
       * the check says where the interval reaches when its far end misses.
       */
      judgedOn?: 'median';
      target?: number;
      ceiling?: boolean;
    }
  | { kind: 'note'; text: string };

/** What the bench is doing, on stderr, so that stdout holds only the report. */
export function progress(text: string): void {
  process.stderr.write(`· ${text}\n`);
}

const NAME = 46;
const MEDIAN = 12;
const RANGE = 25;
const RATIO = 40;

/** The report as a table: name, median, min–max, unit, and the target check where there is one. */
export function formatReport(lines: readonly ReportLine[]): string {
  const header = `${'figure'.padEnd(NAME)}${'median'.padStart(MEDIAN)}${'min–max'.padStart(RANGE)}  unit`;
  const out = [header, '─'.repeat(header.length + 12)];
  for (const line of lines) out.push(formatLine(line));
  return out.join('\n');
}

function formatLine(line: ReportLine): string {
  switch (line.kind) {
    case 'section':
      return `\n${line.title}`;
    case 'figure': {
      const { median, min, max } = line.summary;
      const range = `${formatNumber(min)}–${formatNumber(max)}`;
      const check =
        line.target === undefined ? '' : `  ${targetCheck(median, line.target, line.ceiling)}`;
      return `${`  ${line.name}`.padEnd(NAME)}${formatNumber(median).padStart(MEDIAN)}${range.padStart(RANGE)}  ${line.unit}${check}`;
    }
    case 'ratio': {
      const { interval, target, ceiling } = line;
      // The end of the interval that is farther from meeting the target.
      const far = interval === undefined ? line.ratio : ceiling ? interval.high : interval.low;
      const onMedian = line.judgedOn === 'median' && interval !== undefined;
      const reaches =
        onMedian && target !== undefined && !meets(far, target, ceiling)
          ? ` on the median; its interval reaches ${far.toFixed(3)}`
          : '';
      const check =
        target === undefined
          ? ''
          : ` ${targetCheck(onMedian ? line.ratio : far, target, ceiling, reaches)}`;
      const rounds =
        line.perRound === undefined
          ? ''
          : `per round ${line.perRound.min.toFixed(2)}–${line.perRound.max.toFixed(2)}`;
      const bounds =
        interval === undefined
          ? ''
          : ` (90% CI ${interval.low.toFixed(3)}–${interval.high.toFixed(3)})`;
      const value = `ratio ${line.ratio.toFixed(interval === undefined ? 2 : 3)}${bounds}${check}`;
      return `${`  ${line.name}`.padEnd(NAME)}${`${value}  `.padEnd(RATIO)}${rounds}`;
    }
    case 'note':
      return `    ${line.text}`;
  }
}

/** `(target ≤ 1.05: met)`, with `said` before its closing parenthesis. */
function targetCheck(value: number, target: number, ceiling = false, said = ''): string {
  const met = meets(value, target, ceiling);
  return `(target ${ceiling ? '≤' : '≥'} ${formatNumber(target)}: ${met ? 'met' : 'NOT met'}${said})`;
}

function meets(value: number, target: number, ceiling = false): boolean {
  return ceiling ? value <= target : value >= target;
}

/** A share (0–1) as a whole percentage, for notes. */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function formatNumber(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
