import { join } from 'node:path';
import { buildLog } from './build-log.js';
import type { BenchConfig } from './config.js';
import { rebuildRounds } from './rebuild.js';
import { progress, type ReportLine } from './report.js';
import { summarize } from './stats.js';

/**
 * Builds the big log through the store (one figure: it runs once) and times the rebuild of
 * the sessions projection over it, against the target.
 */
export async function rebuildSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const { logSessions: sessions, eventsPerSession, logAppendsInFlight: inFlight } = config;
  const file = join(dir, 'rebuild.db');
  const expected = sessions * eventsPerSession;
  const size = expected.toLocaleString('en-US');
  progress(`building a log of ${size} events`);
  const built = await buildLog(file, { sessions, eventsPerSession, inFlight });
  if (built.events !== expected) throw new Error(`built ${built.events} events, not ${expected}`);
  progress(`rebuilding the sessions projection ×${config.rebuildRounds}`);
  const rates = await rebuildRounds(
    file,
    { events: expected, rows: sessions },
    config.rebuildRounds,
  );
  return [
    { kind: 'section', title: `Rebuild (${size} events, ${sessions} sessions)` },
    {
      kind: 'figure',
      name: `build the log: ${eventsPerSession}-event appends ×${inFlight}`,
      summary: summarize([built.events / (built.ms / 1000)]),
      unit: 'events/s',
    },
    {
      kind: 'figure',
      name: 'build the log: time (1 run)',
      summary: summarize([built.ms / 1000]),
      unit: 's',
    },
    {
      kind: 'figure',
      name: `rebuild('sessions') ×${config.rebuildRounds}`,
      summary: summarize(rates),
      unit: 'events/s',
      target: config.rebuildTarget,
    },
  ];
}
