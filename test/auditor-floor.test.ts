import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { timeFloor } from '../bench/cli-run.js';
import { runCli } from './support/cli.js';
import { useLogFile } from './support/temp-dir.js';
import { tamper, writeTwelveEventLog } from './support/twelve-events.js';

// The floors the bench reads verify and import against (bench/auditor-floor.ts): each must
// do the check it stands for, on every event, or its figure means nothing.
describe('the auditor figures’ floors', () => {
  const logFile = useLogFile();

  it('chain: reads every row and recomputes the chain', async () => {
    await writeTwelveEventLog(logFile());
    expect(await timeFloor('chain', logFile(), 12)).toBeGreaterThan(0);
    await expect(timeFloor('chain', logFile(), 13)).rejects.toThrow('saw 12 events, not 13');
    tamper(logFile(), 'DROP TRIGGER events_no_update');
    tamper(logFile(), `UPDATE events SET data = '{"cwd":"/elsewhere"}' WHERE position = 5`);
    await expect(timeFloor('chain', logFile(), 12)).rejects.toThrow(
      'the chain breaks at position 5',
    );
  });

  it('lines: parses every line of an export and recomputes the chain', async () => {
    await writeTwelveEventLog(logFile());
    const { code, data } = await runCli('events', '--db', logFile());
    expect(code).toBe(0);
    const exported = join(dirname(logFile()), 'export.ndjson');
    writeFileSync(exported, data);
    expect(await timeFloor('lines', exported, 12)).toBeGreaterThan(0);
    const lines = readFileSync(exported, 'utf8').split('\n');
    lines[6] = lines[6]?.replace('"version":', '"version":1') ?? '';
    writeFileSync(exported, lines.join('\n'));
    await expect(timeFloor('lines', exported, 12)).rejects.toThrow('the chain breaks at line 7');
  });

  it('writes: writes every event of the log into a new one, and leaves no file behind', async () => {
    await writeTwelveEventLog(logFile());
    expect(await timeFloor('writes', logFile(), 12)).toBeGreaterThan(0);
    // Its new log (beside the one it reads: log.db.writes-floor-<pid>) is removed.
    expect(readdirSync(dirname(logFile())).filter((name) => name.includes('floor'))).toEqual([]);
    // A count other than the log's is refused: the floor wrote what it read, no more, no less.
    await expect(timeFloor('writes', logFile(), 11)).rejects.toThrow('saw 12 events, not 11');
  });

  it('tree: makes the tree over every event hash of the log', async () => {
    await writeTwelveEventLog(logFile());
    expect(await timeFloor('tree', logFile(), 12)).toBeGreaterThan(0);
    await expect(timeFloor('tree', logFile(), 13)).rejects.toThrow('saw 12 events, not 13');
  });
});
