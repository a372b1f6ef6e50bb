import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { progressLine } from '../src/cli/progress.js';
import type { SessionEvent } from '../src/events/schemas.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { runCli } from './support/cli.js';
import { useTempDir } from './support/temp-dir.js';

const run = promisify(execFile);
const CLI = 'node bin/sessionlog.js';

/** `script` (util-linux) runs a command on a pseudo-terminal: its standard error is a TTY. */
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A log of 12,000 events (120 sessions of 100): past the 10,000 at which progress is told. */
async function writeLog(file: string): Promise<void> {
  const events: SessionEvent[] = [
    { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
    ...Array.from(
      { length: 99 },
      (): SessionEvent => ({
        type: 'FileChanged',
        data: { change: 'modified', path: 'a.ts', kind: 'file' },
      }),
    ),
  ];
  const log = openSessionlog({ db: file, durability: 'normal' });
  try {
    for (let i = 0; i < 120; i++) await log.store.append(`session-${i}`, events);
  } finally {
    await log.close();
  }
}

describe('progress of import, verify and rebuild', () => {
  const dir = useTempDir();

  it('says the position, the rate and the time left', () => {
    expect(progressLine('position', 250_000, 1_000_000, 1.25)).toBe(
      'position 250,000 of 1,000,000 · 200,000 events/s · 4 s left',
    );
    expect(progressLine('position', 30_000, 0, 0.5)).toBe('position 30,000 · 60,000 events/s');
  });

  it('writes nothing to a standard error that is not a terminal', async () => {
    const source = join(dir(), 'source.db');
    await writeLog(source);
    const exported = join(dir(), 'export.ndjson');
    writeFileSync(exported, (await runCli('events', '--db', source)).data);
    const target = join(dir(), 'target.db');
    for (const command of [
      `import --db ${target} --from ${exported}`,
      `verify --db ${target}`,
      `rebuild --db ${target}`,
    ]) {
      const { stderr } = await run('bash', ['-c', `${CLI} ${command}`]);
      expect(stderr).toBe('');
    }
  });

  it.skipIf(!hasScript)(
    'shows a progress line on a terminal, and clears it before the result',
    async () => {
      const source = join(dir(), 'source.db');
      await writeLog(source);
      const exported = join(dir(), 'export.ndjson');
      writeFileSync(exported, (await runCli('events', '--db', source)).data);
      const target = join(dir(), 'target.db');
      const onTerminal = async (command: string) =>
        (await run('script', ['-qec', `${CLI} ${command}`, '/dev/null'])).stdout;

      const imported = await onTerminal(`import --db ${target} --from ${exported}`);
      const lines = [
        ...imported.matchAll(
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape (erase line) is what is shown
          /\r\x1b\[Kposition ([\d,]+) of ([\d,]+) · [\d,]+ events\/s · \d+ s left/g,
        ),
      ];
      expect(lines.length).toBeGreaterThan(0);
      // The total is estimated from the bytes read: close to the 12,000 lines from the start.
      for (const [, , total] of lines) {
        expect(Number(total?.replaceAll(',', ''))).toBeGreaterThan(11_000);
        expect(Number(total?.replaceAll(',', ''))).toBeLessThan(13_000);
      }
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape (erase line) is what is shown
      expect(imported).toMatch(/\r\x1b\[Kimported 12000 events/);
      const verified = await onTerminal(`verify --db ${target}`);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape (erase line) is what is shown
      expect(verified).toMatch(/\r\x1b\[Kposition 10,000 of 12,000 · [\d,]+ events\/s/);
      expect(verified).toContain('OK');
      const rebuilt = await onTerminal(`rebuild --db ${target}`);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape (erase line) is what is shown
      expect(rebuilt).toMatch(/\r\x1b\[Kposition 1,000 of 12,000/);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape (erase line) is what is shown
      expect(rebuilt).toMatch(/\r\x1b\[Krebuilt sessions: 12000 events/);
    },
  );
});
