import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { useServers } from './support/server.js';
import { useTempDir } from './support/temp-dir.js';

const README = readFileSync('README.md', 'utf8');
const start = useServers();
const dir = useTempDir();

/** The README's Durable Streams example, run as written against a server on a free port. */
it("runs the README's Durable Streams example: the official client reads the log live", async () => {
  const at = README.indexOf('<!-- durable-streams-example');
  const code = /```ts\n([\s\S]*?)```/.exec(README.slice(at))?.[1] ?? '';
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(12);
  const server = await start({ db: join(dir(), 'log.db') });
  // Beside the checkout's node_modules, so that the import resolves as in a project.
  const file = join(process.cwd(), `test/.readme-streams-${process.pid}.mts`);
  writeFileSync(file, code.replace('http://127.0.0.1:3001', server.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: 'pipe' });
  try {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    await fetch(`${server.url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cwd: '/tmp', name: 'from the README' }),
    });
    await expect.poll(() => out, { timeout: 10_000 }).toContain('1 SessionStarted');
    await expect
      .poll(() => out, { timeout: 10_000 })
      .toContain('resume from offset 0000000000000001');
  } finally {
    child.kill();
    rmSync(file, { force: true });
  }
});
