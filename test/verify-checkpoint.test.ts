import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkpointOrigin, signCheckpoint } from '../src/checkpoints/checkpoint.js';
import { eventLeafHash } from '../src/checkpoints/merkle-hash.js';
import { MemoryTree } from '../src/checkpoints/merkle-memory.js';
import { ed25519Signer, type NoteSigner, signNote } from '../src/checkpoints/signed-note.js';
import { formatVerifierKey } from '../src/checkpoints/verifier-key.js';
import type { SessionCommands } from '../src/sessions/session-commands.js';
import { isPostgresUrl } from '../src/stores/open-log.js';
import { openPgSessionlog } from '../src/stores/postgres/open-postgres.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { describeEachBackend } from './support/backends.js';
import { runCli } from './support/cli.js';
import { insider } from './support/insider.js';
import { useTempDir } from './support/temp-dir.js';
import { writeTwelveEvents } from './support/twelve-events.js';

/** Runs `write` on the log at `db` as serve would open it, and closes it. */
async function withLog(db: string, write: (commands: SessionCommands) => Promise<unknown>) {
  const log = isPostgresUrl(db)
    ? await openPgSessionlog({ url: db, durability: 'normal' })
    : openSessionlog({ db, durability: 'normal' });
  try {
    await write(log.commands);
  } finally {
    await log.close();
  }
}

async function logIdOf(db: string): Promise<string> {
  const { output } = await runCli('verify', '--db', db);
  return /\(logId ([^)]+)\)/.exec(output)?.[1] as string;
}

/**
 * The log's signer, as `serve` would hold it: an Ed25519 key named by the log's origin. The
 * checkpoints below are made here, from the events as stored, with the project's MemoryTree
 * (not with what verify computes).
 */
async function logSigner(db: string): Promise<NoteSigner> {
  const origin = checkpointOrigin(await logIdOf(db));
  return ed25519Signer(origin, generateKeyPairSync('ed25519').privateKey);
}

async function rootOf(db: string, size: number): Promise<Buffer> {
  const tree = new MemoryTree();
  tree.append((await insider(db).rows()).map((row) => eventLeafHash(row.hash)));
  return tree.root(size);
}

describeEachBackend('verify --checkpoint, against an insider', (log) => {
  const dir = useTempDir();
  const file = (name: string, text: string) => {
    const path = join(dir(), name);
    writeFileSync(path, text);
    return path;
  };
  const keyFile = (signer: NoteSigner) =>
    file('key.txt', `${formatVerifierKey(signer.name, createPublicKey(signer.privateKey))}\n`);

  /** A log of twelve events, its checkpoint at 12 saved, and the key it verifies with. */
  async function saved(): Promise<{ checkpoint: string; key: string; signer: NoteSigner }> {
    await withLog(log(), writeTwelveEvents);
    const signer = await logSigner(log());
    const note = signCheckpoint(
      { origin: signer.name, size: 12, root: await rootOf(log(), 12) },
      signer,
    );
    return { checkpoint: file('checkpoint.txt', note), key: keyFile(signer), signer };
  }

  /** The log exported as `sessionlog events` writes it, into a file. */
  async function exported(): Promise<string> {
    const { code, data } = await runCli('events', '--db', log());
    expect(code).toBe(0);
    return file('export.ndjson', data);
  }

  /** The chain of the tampered log is intact: only the checkpoint can tell. */
  async function expectChainIntact(events: number) {
    const plain = await runCli('verify', '--db', log());
    expect(plain.output).toContain(`chain        ${events} events, positions 1..${events}, every`);
    expect(plain.code, plain.output).toBe(0);
  }

  it('proves that an honestly grown log extends an older, smaller checkpoint', async () => {
    const { checkpoint, key, signer } = await saved();
    await withLog(log(), (commands) =>
      commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' }),
    );
    const checked = await runCli('verify', '--db', log(), '--checkpoint', checkpoint, '--key', key);
    expect(checked.output).toContain(
      `checkpoint   size 12 of ${signer.name}, signature by ${signer.name}+${signer.keyId.toString('hex')} verified (--key)`,
    );
    expect(checked.output).toContain(
      "extends      the log's first 12 events have the checkpoint's root: it extends it",
    );
    expect(checked.output).toMatch(/OK$/);
    expect(checked.code).toBe(0);

    // Without the key the root is still compared, and the output says what was not checked.
    const unsigned = await runCli('verify', '--db', log(), '--checkpoint', checkpoint);
    expect(unsigned.output).toContain(
      `checkpoint   size 12 of ${signer.name}, signature NOT checked (no --key)`,
    );
    expect(unsigned.code).toBe(0);

    const offline = await runCli('verify', '--from', await exported(), '--checkpoint', checkpoint);
    expect(offline.output).toContain('chain        13 events, positions 1..13, every hash intact');
    expect(offline.output).toContain('(an export names no log: its origin taken as is)');
    expect(offline.output).toContain(
      "extends      the log's first 12 events have the checkpoint's",
    );
    expect(offline.code).toBe(0);
  });

  it('finds a log rewritten with every later hash recomputed, which chains intact', async () => {
    const { checkpoint, key } = await saved();
    const rows = await insider(log()).rows();
    const renamed = rows.slice(1);
    renamed[0] = { ...(renamed[0] as (typeof rows)[0]), data: '{"name":"forged"}' };
    await insider(log()).rewrite(2, renamed);
    // The insider also makes the sessions table again, so that nothing disagrees.
    expect((await runCli('rebuild', '--db', log())).code).toBe(0);
    await expectChainIntact(12);

    for (const source of [
      ['--db', log()],
      ['--from', await exported()],
    ]) {
      const checked = await runCli('verify', ...source, '--checkpoint', checkpoint, '--key', key);
      expect(checked.output).toContain(
        "extends      REWRITTEN: the log's first 12 events have another root than the checkpoint's",
      );
      expect(checked.output).toContain('FAILED');
      expect(checked.code).toBe(1);
    }
  });

  it('finds a log cut short with its idempotency keys, which chains intact', async () => {
    const { checkpoint, key } = await saved();
    await insider(log()).rewrite(11, []);
    expect((await runCli('rebuild', '--db', log())).code).toBe(0);
    await expectChainIntact(10);

    for (const source of [
      ['--db', log()],
      ['--from', await exported()],
    ]) {
      const checked = await runCli('verify', ...source, '--checkpoint', checkpoint, '--key', key);
      expect(checked.output).toContain(
        "extends      CUT: the log has 10 events, shorter than the checkpoint's 12",
      );
      expect(checked.output).toContain('FAILED: first disagreement at position 11');
      expect(checked.code).toBe(1);
    }
  });

  it('finds two events swapped, the chain recomputed', async () => {
    const { checkpoint } = await saved();
    const rows = await insider(log()).rows();
    // Positions 8 and 9 are of two sessions: each session's own order is kept.
    expect(rows[7]?.stream).not.toBe(rows[8]?.stream);
    await insider(log()).rewrite(8, [rows[8], rows[7], ...rows.slice(9)] as typeof rows);
    expect((await runCli('rebuild', '--db', log())).code).toBe(0);
    await expectChainIntact(12);

    for (const source of [
      ['--db', log()],
      ['--from', await exported()],
    ]) {
      const checked = await runCli('verify', ...source, '--checkpoint', checkpoint);
      expect(checked.output).toContain('extends      REWRITTEN');
      expect(checked.code).toBe(1);
    }
  });

  it('refuses a forged checkpoint with --key, naming what is wrong', async () => {
    const { checkpoint, key, signer } = await saved();
    const root = await rootOf(log(), 12);
    const honest = signCheckpoint({ origin: signer.name, size: 12, root }, signer);
    const impostor = ed25519Signer(signer.name, generateKeyPairSync('ed25519').privateKey);
    const forgeries = {
      'UNKNOWN KEY: not signed by': signCheckpoint(
        { origin: signer.name, size: 12, root },
        impostor,
      ),
      'BAD SIGNATURE: the signature by': honest.replace('\n12\n', '\n11\n'),
      'BAD SIGNATURE: the signature': honest.replace(
        root.toString('base64'),
        (await rootOf(log(), 11)).toString('base64'),
      ),
      'WRONG ORIGIN: the checkpoint is of "sessionlog/another-log"': signCheckpoint(
        { origin: 'sessionlog/another-log', size: 12, root },
        signer,
      ),
      // Signed as it stands, so that only the body's grammar is wrong.
      'UNREADABLE: not a checkpoint: the size "012"': signNote(
        `${signer.name}\n012\n${root.toString('base64')}\n`,
        signer,
      ),
    };
    for (const [named, note] of Object.entries(forgeries)) {
      expect(note).not.toBe(honest);
      const forged = file('forged.txt', note);
      for (const source of [
        ['--db', log()],
        ['--from', await exported()],
      ]) {
        const checked = await runCli('verify', ...source, '--checkpoint', forged, '--key', key);
        expect(checked.output, named).toContain(`checkpoint   ${named}`);
        expect(checked.output).toContain('extends      not compared: the checkpoint is refused');
        expect(checked.code).toBe(1);
      }
    }
    expect(
      (await runCli('verify', '--db', log(), '--checkpoint', checkpoint, '--key', key)).code,
    ).toBe(0);

    // Without the key an edited root or size is still caught by the root; another log's
    // checkpoint by its origin (when the log is known).
    const editedSize = file('edited.txt', honest.replace('\n12\n', '\n11\n'));
    const unsigned = await runCli('verify', '--db', log(), '--checkpoint', editedSize);
    expect(unsigned.output).toContain("extends      REWRITTEN: the log's first 11 events");
    expect(unsigned.code).toBe(1);
    const another = file(
      'another.txt',
      forgeries['WRONG ORIGIN: the checkpoint is of "sessionlog/another-log"'],
    );
    const otherLog = await runCli('verify', '--db', log(), '--checkpoint', another);
    expect(otherLog.output).toContain('checkpoint   WRONG ORIGIN');
    expect(otherLog.code).toBe(1);
  });
});
