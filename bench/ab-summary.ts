/**
 * The summary of `bench/ab-post.sh`: its rounds (`round server µs` lines, A and B) read from
 * the file named, and the median of B/A over the paired rounds with its 90 % interval, as
 * the other paired figures of the bench are given (stats.ts).
 *
 *   npx tsx bench/ab-summary.ts <rounds file>
 */
import { readFileSync } from 'node:fs';
import { medianInterval, pairedRatios, summarize } from './stats.js';

const [file] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: ab-summary.ts <rounds file>');
const a = new Map<string, number>();
const b = new Map<string, number>();
for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
  const [round = '', server, micros] = line.split(' ');
  (server === 'A' ? a : b).set(round, Number(micros));
}
const rounds = [...a.keys()].filter((round) => b.has(round));
const top = rounds.map((round) => b.get(round) as number);
const bottom = rounds.map((round) => a.get(round) as number);
const ratios = pairedRatios(top, bottom);
const { low, high } = medianInterval(ratios);
const lower = ratios.filter((ratio) => ratio < 1).length;
console.log(
  `µs per POST: A ${summarize(bottom).median}, B ${summarize(top).median}; B/A ${summarize(ratios).median.toFixed(3)} (90 % interval ${low.toFixed(3)}–${high.toFixed(3)}), B lower in ${lower} of ${ratios.length} rounds`,
);
