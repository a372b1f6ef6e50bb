import { type Context, Hono } from 'hono';
import { checkpointOrigin, signCheckpoint } from '../checkpoints/checkpoint.js';
import type { LogTree } from '../checkpoints/log-tree.js';
import { consistencyPlan, inclusionPlan, rootPlan, runPlan } from '../checkpoints/merkle-plans.js';
import type { NoteSigner } from '../checkpoints/signed-note.js';
import { formatVerifierKey } from '../checkpoints/verifier-key.js';
import { ValidationError } from '../events/errors.js';
import { problem } from './problem.js';
import { integerParam } from './query-params.js';

export interface CheckpointDeps {
  logId: string;
  tree: LogTree;
  /** The checkpoint signer; undefined: this node has no key (503 on the checkpoint routes). */
  signer: NoteSigner | undefined;
}

/**
 * SPEC "Checkpoints and proofs", mounted at /api: the signed checkpoint of the head, its
 * verifier key, and inclusion and consistency proofs. Each reads the head, then the O(log n)
 * nodes its plan names in one query; nodes never change, so the two reads agree.
 */
export function checkpointRoutes({ logId, tree, signer }: CheckpointDeps): Hono {
  const app = new Hono();
  const origin = checkpointOrigin(logId);
  const noKey = () =>
    problem(
      503,
      'no-signing-key',
      'this node has no checkpoint signing key: start it with --signing-key FILE (SESSIONLOG_SIGNING_KEY); every node of a PostgreSQL log needs the same key file',
    );

  app.get('/checkpoint', async (c) => {
    if (signer === undefined) return noKey();
    const size = await tree.head();
    const root = await runPlan(rootPlan(size), tree.readNodes);
    c.header('cache-control', 'no-store');
    return c.text(signCheckpoint({ origin, size, root }, signer));
  });

  app.get('/checkpoint/key', (c) => {
    if (signer === undefined) return noKey();
    return c.text(`${formatVerifierKey(signer.name, signer.publicKey)}\n`);
  });

  app.get('/proof/inclusion', async (c) => {
    const position = required(c, 'position');
    const head = await tree.head();
    const size = atMostHead(c, 'size', head);
    if (position > size) throw invalid('position', `must be at most size (${size})`);
    const proof = await runPlan(inclusionPlan(position - 1, size), tree.readNodes);
    return c.json({ position, size, proof: proof.map(base64) });
  });

  app.get('/proof/consistency', async (c) => {
    const from = required(c, 'from');
    const head = await tree.head();
    const to = atMostHead(c, 'to', head);
    if (from > to) throw invalid('from', `must be at most to (${to})`);
    const proof = await runPlan(consistencyPlan(from, to), tree.readNodes);
    return c.json({ from, to, proof: proof.map(base64) });
  });

  return app;
}

const base64 = (hash: Buffer) => hash.toString('base64');
const WHOLE = { min: 1, max: Number.MAX_SAFE_INTEGER };

function required(c: Context, name: string): number {
  const value = integerParam(c, name, WHOLE);
  if (value === undefined) throw invalid(name, 'is required: a position from 1');
  return value;
}

/** A tree size from 1 up to the head; absent, the head itself. */
function atMostHead(c: Context, name: string, head: number): number {
  const value = integerParam(c, name, WHOLE) ?? head;
  if (value > head) throw invalid(name, `must be at most the head (${head})`);
  return value;
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError(`invalid query parameter ${path}`, [{ path, message }]);
}
