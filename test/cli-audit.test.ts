import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatVerifierKey } from '../src/checkpoints/verifier-key.js';
import type { RunningServer, ServerOptions } from '../src/server.js';
import { describeEachBackend } from './support/backends.js';
import { insider } from './support/insider.js';
import { appendMany, useServers } from './support/server.js';
import { useLogFile, useTempDir } from './support/temp-dir.js';

const TOKEN = 'audit-cli-token-0123456789abcdef';

/** `sessionlog audit …` as a user runs it: the built CLI in a process of its own. */
async function audit(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['bin/sessionlog.js', 'audit', ...args],
      { env: { ...process.env, SESSIONLOG_TOKEN: '' } },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    if (typeof code !== 'number') throw error;
    return { code, out: stdout, err: stderr };
  }
}

beforeAll(() => {
  if (statSync('dist/cli/audit.js', { throwIfNoEntry: false }) === undefined) {
    throw new Error('dist/ is missing the audit command: run `npm run build`');
  }
});

describeEachBackend('sessionlog audit', (db, backend) => {
  const start = useServers();
  const dir = useTempDir();
  const state = () => join(dir(), 'audit.json');
  const keyFile = () => join(dir(), 'log.signing-key');
  const serve = (options: Partial<ServerOptions> = {}) =>
    start({ db: db(), token: TOKEN, signingKey: keyFile(), ...options });
  const auditOf = (server: RunningServer, ...more: string[]) =>
    audit('--url', server.url, '--token', TOKEN, '--state', state(), ...more);
  const savedState = () => JSON.parse(readFileSync(state(), 'utf8'));

  it('pins the key and the checkpoint on the first run, then checks and saves each new one', async () => {
    const server = await serve();
    await appendMany(server, 10);
    const first = await auditOf(server);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/pinned, trusted on first use/);
    expect(first.out).toMatch(/size 10, root .*, signature verified/);
    const pinned = savedState();
    expect(pinned).toMatchObject({
      format: 'sessionlog-audit/1',
      origin: `sessionlog/${server.log.store.logId}`,
      keyFrom: 'server',
      size: 10,
    });
    expect(pinned.key).toBe(
      (
        await (
          await fetch(`${server.url}/api/checkpoint/key`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          })
        ).text()
      ).trim(),
    );
    if (process.platform !== 'win32') expect(statSync(state()).mode & 0o777).toBe(0o600);

    const unchanged = await auditOf(server);
    expect(unchanged.code, unchanged.err).toBe(0);
    expect(unchanged.out).toMatch(/same size and root as the saved checkpoint/);

    await appendMany(server, 1000);
    const later = await auditOf(server);
    expect(later.code, later.err).toBe(0);
    expect(later.out).toMatch(/extends the saved checkpoint of size 10 \(proof of \d+ hashes\)/);
    expect(later.out).not.toMatch(/trusted on first use\)?:/);
    expect(savedState()).toMatchObject({ size: 1010, key: pinned.key, keyFrom: 'server' });
  });

  it('fails naming the consistency proof when the log was rewritten with every hash recomputed', async () => {
    let server = await serve();
    await appendMany(server, 20);
    expect((await auditOf(server)).code).toBe(0);
    const before = readFileSync(state(), 'utf8');
    await server.close();

    // Someone with the database: event 5 changed, every later hash and the tree made again.
    const rows = await insider(db()).rows();
    const edited = rows
      .slice(4)
      .map((row, i) => (i === 0 ? { ...row, time: '2020-01-01T00:00:00.000Z' } : row));
    await insider(db()).rewrite(5, edited);
    server = await serve();

    const same = await auditOf(server);
    expect(same.code).toBe(1);
    expect(same.err).toMatch(/FAILED: the log was rewritten: its tree of size 20 has another root/);

    await appendMany(server, 7);
    const grown = await auditOf(server);
    expect(grown.code).toBe(1);
    expect(grown.err).toMatch(
      /FAILED: no consistency from size 20 to 27: the log was rewritten: its first 20 events no longer have the saved root/,
    );
    expect(readFileSync(state(), 'utf8')).toBe(before);
  });

  it('fails when the log was cut, its idempotency keys removed with it', async () => {
    let server = await serve();
    await appendMany(server, 20);
    expect((await auditOf(server)).code).toBe(0);
    await server.close();
    await insider(db()).rewrite(16, []);
    server = await serve();
    expect(await server.log.store.head()).toBe(15);

    const cut = await auditOf(server);
    expect(cut.code).toBe(1);
    expect(cut.err).toMatch(
      /FAILED: the log shrank: the saved checkpoint has 20 events, the server's 15/,
    );
    expect(savedState().size).toBe(20);
  });

  it('fails when the server signs with another key than the pinned one', async () => {
    let server = await serve();
    await appendMany(server, 5);
    expect((await auditOf(server)).code).toBe(0);
    await server.close();
    server = await serve({ signingKey: join(dir(), 'another.signing-key') });

    const other = await auditOf(server);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/FAILED: the server's checkpoint is not signed by the pinned key/);
    expect(savedState().size).toBe(5);
  });

  if (backend.name === 'SQLite') {
    it('fails when the server answers for another log, even signed with the same key file', async () => {
      let server = await serve();
      await appendMany(server, 5);
      expect((await auditOf(server)).code).toBe(0);
      const pinnedOrigin = savedState().origin;
      await server.close();
      server = await serve({ db: join(dir(), 'another.db') });
      await appendMany(server, 9);

      const other = await auditOf(server);
      expect(other.code).toBe(1);
      expect(other.err).toContain(
        `FAILED: the server now answers for another log: "sessionlog/${server.log.store.logId}", not "${pinnedOrigin}"`,
      );
    });
  }
});

describe('sessionlog audit on SQLite', () => {
  const start = useServers();
  const db = useLogFile();
  const dir = useTempDir();
  const state = () => join(dir(), 'audit.json');
  const serve = () => start({ db: db(), token: TOKEN });
  const auditOf = (server: RunningServer, ...more: string[]) =>
    audit('--url', server.url, '--token', TOKEN, '--state', state(), ...more);

  it('needs the token: a 401 is said as such, and nothing is saved', async () => {
    const server = await serve();
    const refused = await audit('--url', server.url, '--state', state());
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/\/api\/checkpoint\/key answered 401/);
    expect(statSync(state(), { throwIfNoEntry: false })).toBeUndefined();
    // The URL serve prints carries it, and so does the environment.
    const { code, err } = await audit('--url', `${server.url}/?token=${TOKEN}`, '--state', state());
    expect(code, err).toBe(0);
  });

  it('pins the key given with --key, and refuses another one later', async () => {
    const server = await serve();
    await appendMany(server, 3);
    const key = join(dir(), 'log.pub');
    const keyText = await (
      await fetch(`${server.url}/api/checkpoint/key`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).text();
    writeFileSync(key, keyText);
    const first = await auditOf(server, '--key', key);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/pinned, from .*log\.pub/);
    expect(first.out).not.toMatch(/trusted on first use/);

    // A key of the same name but another public key.
    const other = join(dir(), 'other.pub');
    const [name] = keyText.split('+');
    writeFileSync(other, otherKeyNamed(name as string));
    const refused = await auditOf(server, '--key', other);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/FAILED: the key given \(--key\) is not the one pinned in/);
  });

  it('on a first run with a --key the server does not sign with, saves nothing', async () => {
    const server = await serve();
    const other = join(dir(), 'other.pub');
    writeFileSync(other, otherKeyNamed(`sessionlog/${server.log.store.logId}`));
    const refused = await auditOf(server, '--key', other);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/FAILED: the server's checkpoint is not signed by the pinned key/);
    expect(statSync(state(), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('refuses a state file that is not one, or whose checkpoint was edited, rather than pin anew', async () => {
    const server = await serve();
    await appendMany(server, 4);
    writeFileSync(state(), '{"hello": 1}\n');
    const notOne = await auditOf(server);
    expect(notOne.code).toBe(2);
    expect(notOne.err).toMatch(/is not an audit state: its "format" is not "sessionlog-audit\/1"/);

    writeFileSync(state(), '');
    const empty = await auditOf(server);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/is not an audit state: it is not JSON/);

    rmSync(state());
    expect((await auditOf(server)).code).toBe(0);
    // As if the server had shown this auditor another tree of the same size last time.
    const saved = JSON.parse(readFileSync(state(), 'utf8'));
    const otherRoot = Buffer.alloc(32, 7).toString('base64');
    const forged = {
      ...saved,
      root: otherRoot,
      checkpoint: saved.checkpoint.replace(saved.root, otherRoot),
    };
    writeFileSync(state(), JSON.stringify(forged));
    const edited = await auditOf(server);
    expect(edited.code).toBe(2);
    expect(edited.err).toMatch(/is not an audit state: the signature by .* does not verify/);
  });

  it('with --follow, prints a line per new checkpoint until SIGTERM, then exits 0', async () => {
    const server = await serve();
    await appendMany(server, 3);
    const child = spawn(
      process.execPath,
      [
        'bin/sessionlog.js',
        'audit',
        '--url',
        server.url,
        '--token',
        TOKEN,
        '--state',
        state(),
        '--follow',
        '--interval',
        '0.2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[
      Symbol.asyncIterator
    ]();
    const next = async () => (await lines.next()).value as string;
    try {
      expect(await next()).toMatch(/trusted on first use/);
      expect(await next()).toMatch(/size 3, root/);
      expect(await next()).toMatch(/saved/);
      await appendMany(server, 5);
      expect(await next()).toMatch(/size 8, root .*: extends 3 \(proof of \d+ hash(es)?\), saved$/);
      await appendMany(server, 2);
      expect(await next()).toMatch(/size 10, root .*: extends 8/);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(JSON.parse(readFileSync(state(), 'utf8')).size).toBe(10);
    } finally {
      stopChild(child);
    }
  });
});

function stopChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A verifier key line of `name` over a key that is not the server's. */
function otherKeyNamed(name: string): string {
  return `${formatVerifierKey(name, generateKeyPairSync('ed25519').publicKey)}\n`;
}
