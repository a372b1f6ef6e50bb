import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { useServers } from './support/server.js';
import { freePort, send, serveChild } from './support/server-child.js';
import { useLogFile } from './support/temp-dir.js';

describe('one serve per log file', () => {
  const logFile = useLogFile();
  const serve = useServers();

  it('starts at once after its predecessor was SIGKILLed, on the same log', async () => {
    const port = await freePort();
    const first = await serveChild(logFile(), port);
    expect((await send(port, 'POST', '/api/sessions', { body: { cwd: '/tmp' } })).status).toBe(201);
    await first.kill();

    const started = performance.now();
    const second = await serveChild(logFile(), port);
    expect(second.head).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await send(port, 'GET', '/api/health')).body).toMatchObject({ head: 1 });
    await second.stop();
  });

  it('is not blocked by a lock file of the previous version that names a live process', async () => {
    // pid 1 alive again in a re-created container, under another hostname: both refused forever.
    for (const holder of [
      { pid: 1, hostname: 'a-container-long-gone' },
      { pid: process.pid, hostname: 'another-host' },
    ]) {
      const since = '2020-01-01T00:00:00.000Z';
      writeFileSync(`${logFile()}.lock`, JSON.stringify({ ...holder, since }));
      const server = await serve({ db: logFile() });
      expect(await server.log.store.head()).toBe(0);
      await server.close();
    }
  });

  it('refuses a second live serve, naming the log, the lock file and the holder', async () => {
    const child = await serveChild(logFile(), await freePort());
    for (let attempt = 0; attempt < 2; attempt++) {
      const second = await runCli('serve', '--db', logFile(), '--port', '0');
      expect(second.code).toBe(2);
      expect(second.output).toContain(`${logFile()} is already served by another sessionlog`);
      expect(second.output).toContain(`${logFile()}.lock`);
      expect(second.output).toContain(`pid ${child.pid}`);
    }
    await child.stop();
    // Released on a clean stop too: the next one starts.
    const server = await serve({ db: logFile() });
    await server.close();
  });

  it('refuses a second server in the same process, and lets the first keep the log', async () => {
    const first = await serve({ db: logFile() });
    await expect(serve({ db: logFile() })).rejects.toThrow(
      `${logFile()} is already served by another sessionlog (pid ${process.pid}`,
    );
    // The refused attempt must not have dropped the first one's lock.
    const child = serveChild(logFile(), await freePort());
    await expect(child).rejects.toThrow(/already served/);
    await first.close();
  });

  it('lets events, verify and sessions read the log while it serves', async () => {
    const port = await freePort();
    const child = await serveChild(logFile(), port);
    expect((await send(port, 'POST', '/api/sessions', { body: { cwd: '/tmp' } })).status).toBe(201);
    const events = await runCli('events', '--db', logFile());
    expect(events.code).toBe(0);
    expect(events.data.trim().split('\n')).toHaveLength(1);
    const verify = await runCli('verify', '--db', logFile());
    expect(verify).toMatchObject({ code: 0, output: expect.stringContaining('OK') });
    const sessions = await runCli('sessions', '--db', logFile());
    expect(sessions.code).toBe(0);
    expect(JSON.parse(sessions.output)).toMatchObject({ position: 1 });
    await child.stop();
  });
});
