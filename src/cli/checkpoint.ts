import { checkpointOrigin, signCheckpoint } from '../checkpoints/checkpoint.js';
import { rootPlan, runPlan } from '../checkpoints/merkle-plans.js';
import { ed25519Signer } from '../checkpoints/signed-note.js';
import { openLog } from '../stores/open-log.js';
import { checkpointSigningKey } from '../stores/signing-key.js';
import { type Command, dbFrom } from './args.js';
import { request } from './events-from-url.js';
import { serverAddress } from './server-address.js';

/** `sessionlog checkpoint`: the log's current signed checkpoint, from a server or a log. */
export const checkpoint: Command = {
  name: 'checkpoint',
  usage: `sessionlog checkpoint [--db FILE|URL | --url URL] [--signing-key FILE] [--token TOKEN]

Prints the log's current checkpoint, a C2SP tlog-checkpoint signed note: the origin
sessionlog/<logId>, the tree size (the head), the Merkle root in base64, a blank line and
the Ed25519 signature line. An auditor keeps it outside the server; \`sessionlog verify
--checkpoint FILE\` later proves that the log still extends it.

  --url URL           a running server: what GET /api/checkpoint answers
  --db FILE|URL       a log, opened read-only (default: $SESSIONLOG_DB or
                      ./data/sessionlog.db), or a postgres:// URL; signed here with the key
                      serve uses
  --signing-key FILE  with --db: that key (SESSIONLOG_SIGNING_KEY; default: the log file's
                      name + .signing-key, made 0600 when absent, as serve makes it; a
                      PostgreSQL log has no default)
  --token TOKEN       the server's token (SESSIONLOG_TOKEN), with --url`,
  options: {
    db: { type: 'string', short: 'd' },
    url: { type: 'string', short: 'u' },
    'signing-key': { type: 'string' },
    token: { type: 'string' },
  },
  async run(values, out) {
    const url = values.url as string | undefined;
    const keyFile =
      (values['signing-key'] as string | undefined) ??
      (process.env.SESSIONLOG_SIGNING_KEY || undefined);
    if (url !== undefined) {
      if (values.db !== undefined) throw new Error('--db and --url exclude each other');
      if (values['signing-key'] !== undefined) {
        throw new Error('--signing-key goes with --db: a server signs with its own key');
      }
      const { origin, token } = serverAddress(url, values.token as string | undefined);
      const response = await request(new URL('/api/checkpoint', origin), token, 'text/plain');
      (out.data ?? process.stdout).write(await response.text());
      return 0;
    }
    if (values.token !== undefined) throw new Error('--token goes with --url');
    const backend = await openLog(dbFrom(values));
    // The key first: a log is not opened for a checkpoint that could not be signed.
    const key = await checkpointSigningKey(backend, keyFile);
    const opened = await backend.openTree('checkpoint');
    try {
      const size = await opened.tree.head();
      const root = await runPlan(rootPlan(size), opened.tree.readNodes);
      const origin = checkpointOrigin(opened.logId);
      (out.data ?? process.stdout).write(
        signCheckpoint({ origin, size, root }, ed25519Signer(origin, key)),
      );
      return 0;
    } finally {
      await opened.close();
    }
  },
};
