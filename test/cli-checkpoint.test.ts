import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { checkpointOrigin, openCheckpoint } from '../src/checkpoints/checkpoint.js';
import { readOrCreateSigningKey, readSigningKey } from '../src/checkpoints/signing-key.js';
import { formatVerifierKey, parseVerifierKey } from '../src/checkpoints/verifier-key.js';
import { describeEachBackend } from './support/backends.js';
import { runCli } from './support/cli.js';
import { appendMany, useServers } from './support/server.js';
import { useTempDir } from './support/temp-dir.js';
import { freshTree } from './support/tree.js';

const TOKEN = 'checkpoint-cli-token-0123456789';

describeEachBackend('sessionlog checkpoint', (db, backend) => {
  const start = useServers();
  const dir = useTempDir();
  const keyFile = () =>
    backend.name === 'SQLite' ? `${db()}.signing-key` : join(dir(), 'pg.signing-key');
  const keyFlags = () => (backend.name === 'SQLite' ? [] : ['--signing-key', keyFile()]);

  /** A served log with events, and the verifier key of the file its server signs with. */
  async function servedLog() {
    const server = await start({ db: db(), token: TOKEN, signingKey: keyFile() });
    await appendMany(server, 42);
    const privateKey = await readSigningKey(keyFile());
    const name = checkpointOrigin(server.log.store.logId);
    const key = parseVerifierKey(formatVerifierKey(name, createPublicKey(privateKey as never)));
    return { server, key, name };
  }

  it('prints the checkpoint of the log with --db, signed with the key serve uses', async () => {
    const { server, key, name } = await servedLog();
    const fresh = await freshTree(server.log.store);
    await server.close();
    const { code, data, output } = await runCli('checkpoint', '--db', db(), ...keyFlags());
    expect(code, output).toBe(0);
    const checkpoint = openCheckpoint(data, key, name);
    expect(checkpoint.size).toBe(fresh.size);
    expect(checkpoint.root.equals(fresh.root())).toBe(true);
  });

  it('prints what the server answers with --url', async () => {
    const { server, key, name } = await servedLog();
    const { code, data, output } = await runCli(
      'checkpoint',
      '--url',
      server.url,
      '--token',
      TOKEN,
    );
    expect(code, output).toBe(0);
    expect(openCheckpoint(data, key, name).size).toBe(await server.log.store.head());
    const refused = await runCli('checkpoint', '--url', server.url);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/\/api\/checkpoint answered 401/);
  });

  it('makes the key file when it is absent, as serve does, and signs with it', async () => {
    const { server, name } = await servedLog();
    const head = await server.log.store.head();
    await server.close();
    rmSync(keyFile());
    const { code, data, output } = await runCli('checkpoint', '--db', db(), ...keyFlags());
    expect(code, output).toBe(0);
    const made = await readSigningKey(keyFile());
    expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
    const key = parseVerifierKey(formatVerifierKey(name, createPublicKey(made as never)));
    expect(openCheckpoint(data, key, name).size).toBe(head);
    if (backend.name === 'PostgreSQL') {
      const none = await runCli('checkpoint', '--db', db());
      expect(none.code).toBe(2);
      expect(none.output).toMatch(
        /has no signing key file by default: give the one its servers use/,
      );
    }
  });
});

it('refuses a database of another program, changing nothing in it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sessionlog-checkpoint-'));
  try {
    const file = join(dir, 'other.db');
    const other = new Database(file);
    other.exec('CREATE TABLE invoices (id INTEGER)');
    other.close();
    await readOrCreateSigningKey(`${file}.signing-key`);
    const { code, output } = await runCli('checkpoint', '--db', file);
    expect(code).toBe(2);
    expect(output).toMatch(/other\.db is not a sessionlog log/);
    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT name FROM sqlite_master').pluck().all()).toEqual(['invoices']);
    after.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
