import type { BigLog } from './big-log.js';
import type { BenchConfig } from './config.js';
import { rebuildRounds } from './rebuild.js';
import { progress, type ReportLine } from './report.js';
import { summarize } from './stats.js';

/**
 * How long the big log took to build (one figure: it runs once) and the rebuild of the
 * sessions projection over it, against its target (README, Performance).
 */
export async function rebuildSuite(log: BigLog, config: BenchConfig): Promise<ReportLine[]> {
  const { eventsPerSession, logAppendsInFlight: inFlight } = config;
  progress(`rebuilding the sessions projection ×${config.rebuildRounds}`);
  const rates = await rebuildRounds(
    log.file,
    { events: log.events, rows: log.sessions },
    config.rebuildRounds,
  );
  return [
    {
      kind: 'section',
      title: `Rebuild (${log.events.toLocaleString('en-US')} events, ${log.sessions} sessions)`,
    },
    {
      kind: 'figure',
      name: `build the log: ${eventsPerSession}-event appends ×${inFlight}`,
      summary: summarize([log.events / (log.buildMs / 1000)]),
      unit: 'events/s',
    },
    {
      kind: 'figure',
      name: 'build the log: time (1 run)',
      summary: summarize([log.buildMs / 1000]),
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
