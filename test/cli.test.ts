import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { runCli } from './support/cli.js';
import { useLogFile, useTempDir } from './support/temp-dir.js';

describe('the sessionlog CLI', () => {
  const logFile = useLogFile();
  const workDir = useTempDir();

  it('serve prints the URL, answers on it, refuses a second serve on the same file, and stops cleanly on SIGTERM', async () => {
    expect(existsSync('dist/cli/main.js'), 'dist/ is built by `npm test` (npm run build)').toBe(
      true,
    );
    const child = spawn(
      process.execPath,
      ['bin/sessionlog.js', 'serve', '--db', logFile(), '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    // Whatever fails below, the server must not outlive the test.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toMatch(
      /^sessionlog: log .*log\.db \(logId [0-9a-f-]{36}, head 0\)/,
    );
    const url = (await lines.next()).value as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const health = await fetch(new URL('/api/health', url));
    expect(await health.json()).toMatchObject({ status: 'ok', head: 0 });

    const second = await runCli('serve', '--db', logFile(), '--port', '0');
    expect(second.code).toBe(2);
    expect(second.output).toContain(`is already served by another sessionlog (pid ${child.pid}`);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('serve on a fresh checkout creates ./data/sessionlog.db (the quick start), folder and all', async () => {
    const dir = workDir();
    const child = spawn(process.execPath, [resolve('bin/sessionlog.js'), 'serve', '--port', '0'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toMatch(/^sessionlog: log \.\/data\/sessionlog\.db /);
    expect((await lines.next()).value).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(existsSync(join(dir, 'data', 'sessionlog.db'))).toBe(true);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('serve refuses to listen beyond loopback without a token', async () => {
    const { code, output } = await runCli(
      'serve',
      '--db',
      logFile(),
      '--host',
      '0.0.0.0',
      '--port',
      '0',
    );
    expect(output).toContain(
      '--host 0.0.0.0 would expose the log beyond this machine: set --token too',
    );
    expect(code).toBe(2);
    expect(existsSync(logFile())).toBe(false);
  });

  it('rebuild replays the log into the sessions table', async () => {
    const log = openSessionlog({ db: logFile() });
    await log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
    await log.close();
    const { code, output } = await runCli('rebuild', '--db', logFile(), '--projection', 'sessions');
    expect(output).toMatch(/rebuilt sessions: 1 events into 1 rows/);
    expect(code).toBe(0);
  });

  it('names an unknown projection, flag or command and exits 2', async () => {
    const log = openSessionlog({ db: logFile() });
    await log.close();
    const unknownProjection = await runCli('rebuild', '--db', logFile(), '--projection', 'nope');
    expect(unknownProjection).toMatchObject({
      code: 2,
      output: expect.stringContaining('no projection named "nope"'),
    });
    const unknownFlag = await runCli('verify', '--nope');
    expect(unknownFlag).toMatchObject({
      code: 2,
      output: expect.stringContaining("Unknown option '--nope'"),
    });
    const unknownCommand = await runCli('frobnicate');
    expect(unknownCommand).toMatchObject({
      code: 2,
      output: expect.stringContaining('unknown command "frobnicate"'),
    });
  });

  it('prints help for each command', async () => {
    for (const command of ['serve', 'verify', 'rebuild']) {
      const { code, output } = await runCli(command, '--help');
      expect(output).toContain(`sessionlog ${command}`);
      expect(code).toBe(0);
    }
  });

  it('lists every command, each name set apart from its summary', async () => {
    const { code, output } = await runCli('--help');
    expect(code).toBe(0);
    const listed = output.split('\n').flatMap((line) => /^ {2}(\S+) {2,}\S/.exec(line)?.[1] ?? []);
    expect(listed).toEqual([
      'serve',
      'events',
      'sessions',
      'verify',
      'rebuild',
      'import',
      'checkpoint',
      'audit',
    ]);
  });

  it('refuses a durability other than full or normal', async () => {
    const { code, output } = await runCli('serve', '--db', logFile(), '--durability', 'sometimes');
    expect(output).toContain('--durability must be full or normal');
    expect(code).toBe(2);
    expect(existsSync(logFile())).toBe(false);
  });
});
