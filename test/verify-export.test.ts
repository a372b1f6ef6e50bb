import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointOrigin, signCheckpoint } from '../src/checkpoints/checkpoint.js';
import { eventLeafHash } from '../src/checkpoints/merkle-hash.js';
import { MemoryTree } from '../src/checkpoints/merkle-memory.js';
import { ed25519Signer } from '../src/checkpoints/signed-note.js';
import { formatVerifierKey } from '../src/checkpoints/verifier-key.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { runCli } from './support/cli.js';
import { useTempDir } from './support/temp-dir.js';
import { writeTwelveEvents } from './support/twelve-events.js';

/**
 * `verify --from`: an export checked with no database, as an auditor handed a file checks
 * it. The export is made once from a real log; the log file is then deleted.
 */
describe('verify --from an export, offline', () => {
  const dir = useTempDir();
  const path = (name: string) => join(dir(), name);

  async function exportOfTwelve(): Promise<string[]> {
    const db = path('log.db');
    const log = openSessionlog({ db, durability: 'normal' });
    await writeTwelveEvents(log.commands);
    await log.close();
    const { data } = await runCli('events', '--db', db);
    // No log left to fall back on: the export is all there is.
    for (const name of readdirSync(dir())) if (name.startsWith('log.db')) rmSync(path(name));
    return data.split('\n').slice(0, -1);
  }
  const write = (lines: readonly string[], name = 'export.ndjson') => {
    writeFileSync(path(name), lines.map((line) => `${line}\n`).join(''));
    return path(name);
  };

  it('checks the chain of an intact export, and of one with no final newline', async () => {
    const lines = await exportOfTwelve();
    const checked = await runCli('verify', '--from', write(lines));
    expect(checked.output).toBe(
      `export ${path('export.ndjson')}\nchain        12 events, positions 1..12, every hash intact\nOK`,
    );
    expect(checked.code).toBe(0);
    writeFileSync(path('bare.ndjson'), lines.join('\n'));
    expect((await runCli('verify', '--from', path('bare.ndjson'))).code).toBe(0);
  });

  it('names the position of an event edited in the export', async () => {
    const lines = await exportOfTwelve();
    lines[4] = (lines[4] as string).replace('"cwd":"/tmp"', '"cwd":"/etc"');
    const checked = await runCli('verify', '--from', write(lines));
    expect(checked.output).toContain(
      'chain        BROKEN at position 5 (line 5): hash does not match the content and the previous hash',
    );
    expect(checked.output).toContain('FAILED: first disagreement at position 5');
    expect(checked.code).toBe(1);
  });

  it('names the line that is not an event', async () => {
    const lines = await exportOfTwelve();
    const cases: [string, string][] = [
      ['{"position":3', 'not JSON'],
      ['[]', 'not an event: not a JSON object'],
      [(lines[2] as string).replace('"stream":', '"streem":'), 'unknown field "streem"'],
      [(lines[2] as string).replace(/"version":\d+/, '"version":"1"'), 'version is not'],
      ['', 'not JSON'],
    ];
    for (const [line, why] of cases) {
      const checked = await runCli('verify', '--from', write([...lines.slice(0, 2), line]));
      expect(checked.output).toContain(`chain        UNREADABLE at line 3 (position 3): `);
      expect(checked.output).toContain(why);
      expect(checked.code).toBe(1);
    }
    const bytes = Buffer.concat([
      Buffer.from(`${lines[0]}\n`),
      Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
    ]);
    writeFileSync(path('binary.ndjson'), bytes);
    const binary = await runCli('verify', '--from', path('binary.ndjson'));
    expect(binary.output).toContain('chain        UNREADABLE at line 2 (position 2): not UTF-8');
    expect(binary.code).toBe(1);
  });

  it('refuses an export that is not the whole log', async () => {
    const lines = await exportOfTwelve();
    const after = await runCli('verify', '--from', write(lines.slice(3)));
    expect(after.output).toContain(
      'chain        BROKEN at position 1 (line 1): position 1 is missing',
    );
    expect(after.code).toBe(1);
    const gap = await runCli('verify', '--from', write([...lines.slice(0, 6), ...lines.slice(7)]));
    expect(gap.output).toContain(
      'BROKEN at position 7 (line 7): position 7 is missing (next is 8)',
    );
    expect(gap.code).toBe(1);
  });

  it('checks the export against a checkpoint whose origin is the key’s, even past a broken chain', async () => {
    const lines = await exportOfTwelve();
    const origin = checkpointOrigin('a-log');
    const signer = ed25519Signer(origin, generateKeyPairSync('ed25519').privateKey);
    const tree = new MemoryTree();
    tree.append(lines.map((line) => eventLeafHash(JSON.parse(line).hash)));
    writeFileSync(
      path('checkpoint.txt'),
      signCheckpoint({ origin, size: 10, root: tree.root(10) }, signer),
    );
    writeFileSync(path('key.txt'), formatVerifierKey(origin, createPublicKey(signer.privateKey)));
    const args = ['--checkpoint', path('checkpoint.txt'), '--key', path('key.txt')];

    const intact = await runCli('verify', '--from', write(lines), ...args);
    expect(intact.output).toContain(
      `checkpoint   size 10 of ${origin} (an export names no log: the key's), signature by`,
    );
    expect(intact.output).toContain("extends      the log's first 10 events have the checkpoint's");
    expect(intact.code).toBe(0);

    // An edit that leaves the hashes as they were breaks the chain; the tree, made of those
    // hashes, still agrees: each check catches what it covers.
    const edited = [...lines];
    edited[1] = (edited[1] as string).replace('"name":"s0"', '"name":"xx"');
    const broken = await runCli('verify', '--from', write(edited), ...args);
    expect(broken.output).toContain('chain        BROKEN at position 2 (line 2)');
    expect(broken.output).toContain("extends      the log's first 10 events have the checkpoint's");
    expect(broken.code).toBe(1);

    const cut = await runCli('verify', '--from', write(lines.slice(0, 9)), ...args);
    expect(cut.output).toContain(
      "extends      CUT: the log has 9 events, shorter than the checkpoint's 10",
    );
    expect(cut.code).toBe(1);

    const unreadable = await runCli(
      'verify',
      '--from',
      write([...lines.slice(0, 5), '{']),
      ...args,
    );
    expect(unreadable.output).toContain(
      "extends      not compared: line 6 is unreadable, within the checkpoint's 10 events",
    );
    expect(unreadable.code).toBe(1);
  });

  it('refuses what it cannot run with, exit 2 naming it', async () => {
    const lines = await exportOfTwelve();
    const from = write(lines);
    writeFileSync(path('key.txt'), 'not a key\n');
    writeFileSync(path('checkpoint.txt'), 'x\n');
    const cases: [string[], string][] = [
      [['--from', path('missing.ndjson')], `no export at ${path('missing.ndjson')}`],
      [['--from', from, '--db', path('x.db')], '--db and --from exclude each other'],
      [['--from', from, '--key', path('key.txt')], '--key checks a checkpoint'],
      [
        ['--from', from, '--checkpoint', path('none.txt')],
        `cannot read the checkpoint ${path('none.txt')}`,
      ],
      [
        ['--from', from, '--checkpoint', path('checkpoint.txt'), '--key', path('key.txt')],
        `the key ${path('key.txt')} is not a verifier key`,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, output } = await runCli('verify', ...args);
      expect(output).toContain(message);
      expect(code).toBe(2);
    }
    expect(readFileSync(from, 'utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
  });
});
