import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { runCli } from './support/cli.js';
import { useLogFile } from './support/temp-dir.js';
import { freshTree, storedRoot } from './support/tree.js';

interface Ack {
  stream: string;
  version: number;
  position: number;
}

/** Runs the appender child until it has acknowledged `acks` appends, then SIGKILLs it. */
async function appendThenKill(file: string, acks: number): Promise<Ack[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/append-until-killed.ts', file],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const received: Ack[] = [];
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for await (const line of createInterface({ input: child.stdout })) {
    received.push(JSON.parse(line) as Ack);
    if (received.length === acks) child.kill('SIGKILL');
  }
  await exited;
  expect(child.signalCode).toBe('SIGKILL');
  return received;
}

describe('a crash in the middle of a stream of appends', () => {
  const logFile = useLogFile();

  it('loses no acknowledged event, and leaves projection and chain consistent', async () => {
    const acknowledged: Ack[] = [];
    for (let round = 0; round < 3; round++) {
      // A random point in the stream, so the kill lands at a different moment each time.
      acknowledged.push(
        ...(await appendThenKill(logFile(), 200 + Math.floor(Math.random() * 400))),
      );

      const log = openSessionlog({ db: logFile() });
      const events = await log.store.read();
      const byPosition = new Map(events.map((e) => [e.position, e]));
      for (const ack of acknowledged) {
        expect(byPosition.get(ack.position), `acknowledged position ${ack.position}`).toMatchObject(
          {
            stream: ack.stream,
            version: ack.version,
          },
        );
      }
      expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
      expect(log.projections.verify()).toEqual([]);
      // The tree written in the commits that survived: its root is the events' own.
      expect((await storedRoot(log.tree)).toString('hex')).toBe(
        (await freshTree(log.store)).root().toString('hex'),
      );
      await log.close();
      const verify = await runCli('verify', '--db', logFile());
      expect(verify.output).toMatch(/tree {9}\d+ leaves, root \S+ equals a fresh computation/);
      expect(verify.output).toContain('OK');
      expect(verify.code).toBe(0);
    }
  }, 60_000);
});
