import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { checkpointOrigin, signCheckpoint } from '../src/checkpoints/checkpoint.js';
import { TreeFrontier } from '../src/checkpoints/merkle-frontier.js';
import { eventLeafHash } from '../src/checkpoints/merkle-hash.js';
import { PrefixRoot } from '../src/checkpoints/prefix-root.js';
import { ed25519Signer } from '../src/checkpoints/signed-note.js';
import { generateSigningKey } from '../src/checkpoints/signing-key.js';
import { formatVerifierKey } from '../src/checkpoints/verifier-key.js';
import { main } from '../src/cli/main.js';
import type { BigLog } from './big-log.js';
import type { BenchConfig } from './config.js';
import { progress, type ReportLine } from './report.js';
import { pairedRatios, summarize } from './stats.js';

/**
 * What `verify --checkpoint` costs on top of `verify` (issue 16: the tree is about two
 * SHA-256 per event): both on the big log and on its export (`--from`), in interleaved
 * rounds, in this process through the CLI's own entry; and the tree alone, the root of a
 * million hashes streamed through PrefixRoot.
 */
export async function verifyCheckpointSuite(
  log: BigLog,
  config: BenchConfig,
): Promise<ReportLine[]> {
  const dir = join(log.file, '..');
  const { hashes, logId } = readHashes(log.file);
  const origin = checkpointOrigin(logId);
  const signer = ed25519Signer(origin, generateSigningKey());
  const frontier = new TreeFrontier(0, []);
  frontier.append(hashes.map(eventLeafHash));
  const checkpoint = join(dir, 'checkpoint.txt');
  const key = join(dir, 'key.txt');
  await writeFile(
    checkpoint,
    signCheckpoint({ origin, size: hashes.length, root: frontier.root() }, signer),
  );
  await writeFile(key, formatVerifierKey(origin, signer.publicKey));
  progress('exporting the big log for verify --from');
  const exported = join(dir, 'big-log.ndjson');
  const data = createWriteStream(exported);
  await cli(['events', '--db', log.file], data);
  data.end();
  await finished(data);

  const withCheckpoint = ['--checkpoint', checkpoint, '--key', key];
  const runs = {
    db: [] as number[],
    dbCheckpoint: [] as number[],
    from: [] as number[],
    fromCheckpoint: [] as number[],
    tree: [] as number[],
  };
  const rounds = config.rebuildRounds;
  for (let round = 0; round < rounds; round++) {
    progress(`verify, with and without --checkpoint: round ${round + 1} of ${rounds}`);
    runs.db.push(await timed(['verify', '--db', log.file]));
    runs.dbCheckpoint.push(await timed(['verify', '--db', log.file, ...withCheckpoint]));
    runs.from.push(await timed(['verify', '--from', exported]));
    runs.fromCheckpoint.push(await timed(['verify', '--from', exported, ...withCheckpoint]));
    const started = performance.now();
    const prefix = new PrefixRoot(hashes.length);
    hashes.forEach((hash, i) => {
      prefix.add(i + 1, hash);
    });
    if (prefix.compare(frontier.root()).kind !== 'extends') throw new Error('the tree disagrees');
    runs.tree.push((performance.now() - started) / 1000);
  }
  const events = log.events.toLocaleString('en-US');
  const figure = (name: string, seconds: number[]): ReportLine => ({
    kind: 'figure',
    name,
    summary: summarize(seconds),
    unit: 's',
    ceiling: true,
  });
  const perEvent = runs.tree.map((s) => (s * 1e6) / log.events);
  return [
    { kind: 'section', title: `verify --checkpoint (${events} events, ×${rounds} interleaved)` },
    figure('verify --db', runs.db),
    figure('verify --db --checkpoint --key', runs.dbCheckpoint),
    {
      kind: 'ratio',
      name: 'verify --db: with / without the checkpoint',
      ratio: summarize(pairedRatios(runs.dbCheckpoint, runs.db)).median,
      perRound: summarize(pairedRatios(runs.dbCheckpoint, runs.db)),
    },
    figure('verify --from export', runs.from),
    figure('verify --from export --checkpoint --key', runs.fromCheckpoint),
    {
      kind: 'ratio',
      name: 'verify --from: with / without the checkpoint',
      ratio: summarize(pairedRatios(runs.fromCheckpoint, runs.from)).median,
      perRound: summarize(pairedRatios(runs.fromCheckpoint, runs.from)),
    },
    figure('the tree alone: root of the hashes', runs.tree),
    { kind: 'figure', name: 'the tree alone, per event', summary: summarize(perEvent), unit: 'µs' },
  ];
}

function readHashes(file: string): { hashes: string[]; logId: string } {
  const db = new Database(file, { readonly: true });
  try {
    const hashes = db
      .prepare('SELECT hash FROM events ORDER BY position')
      .pluck()
      .all() as string[];
    const logId = db.prepare("SELECT value FROM meta WHERE key = 'logId'").pluck().get() as string;
    return { hashes, logId };
  } finally {
    db.close();
  }
}

const discard = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

async function cli(argv: string[], data: NodeJS.WritableStream = discard()): Promise<string[]> {
  const lines: string[] = [];
  const code = await main(argv, { log: (l) => lines.push(l), error: (l) => lines.push(l), data });
  if (code !== 0)
    throw new Error(`sessionlog ${argv.join(' ')}: exit ${code}\n${lines.join('\n')}`);
  return lines;
}

async function timed(argv: string[]): Promise<number> {
  const started = performance.now();
  await cli(argv);
  return (performance.now() - started) / 1000;
}
