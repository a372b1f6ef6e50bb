import type { BigLog } from './big-log.js';
import type { BenchConfig } from './config.js';
import { replayFromStart } from './replay-client.js';
import { percent, progress, type ReportLine } from './report.js';
import { startSessionlogChild } from './server-children.js';
import { summarize } from './stats.js';

/** The target for one client replaying the log over `/ws`, in events/s (README, Performance). */
const REPLAY_TARGET = 300_000;
/** A replay slower than 10,000 events/s is broken, not slow: stop waiting for it. */
const TIMEOUT_MS_PER_EVENT = 0.1;

/**
 * One client at a time replays the whole big log over `/ws?after=0` from a sessionlog server
 * in a child process; the client is here, so that the two do not share a core.
 */
export async function replaySuite(log: BigLog, config: BenchConfig): Promise<ReportLine[]> {
  const server = await startSessionlogChild({
    db: log.file,
    durability: 'normal',
    // The log's sessions name a cwd that does not exist: watching them would append events.
    watch: false,
    cpuProfileDir: config.cpuProfileDir,
  });
  try {
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
    const rates: number[] = [];
    const serverBusy: number[] = [];
    const clientBusy: number[] = [];
    const size = log.events.toLocaleString('en-US');
    for (let run = 0; run < config.replayRounds; run++) {
      progress(`replay ${run + 1}/${config.replayRounds}: ${size} events over /ws from 0`);
      server.mark();
      const timeout = 10_000 + log.events * TIMEOUT_MS_PER_EVENT;
      const replay = await replayFromStart(wsUrl, log.events, timeout);
      const { busy } = await server.stats();
      rates.push(log.events / replay.seconds);
      serverBusy.push(busy);
      clientBusy.push(replay.busy);
    }
    const median = (shares: number[]) => percent(summarize(shares).median);
    return [
      { kind: 'section', title: `Replay over /ws (${size} events, from position 0)` },
      {
        kind: 'figure',
        name: `one client, after=0 ×${config.replayRounds}`,
        summary: summarize(rates),
        unit: 'events/s',
        target: REPLAY_TARGET,
      },
      {
        kind: 'note',
        text: `event loop busy (median): server ${median(serverBusy)}, client ${median(clientBusy)}`,
      },
    ];
  } finally {
    await server.stop();
  }
}
