import { once } from 'node:events';
import { openSessionlog } from '../sessionlog.js';
import { type Command, dbFrom } from './args.js';

export const serve: Command = {
  name: 'serve',
  summary: 'open the log and keep it open until SIGINT/SIGTERM',
  usage: `sessionlog serve [--db FILE] [--durability full|normal]

Opens the log (creating it if missing), brings the projections up to its head, and holds it
until interrupted. The HTTP API and the WebSocket gateway are not part of this build yet.

  --db FILE                  the log (default: $SESSIONLOG_DB or ./data/sessionlog.db)
  --durability full|normal   full (default): an append is acknowledged once on disk`,
  options: {
    db: { type: 'string', short: 'd' },
    durability: { type: 'string' },
  },
  async run(values, out) {
    const durability =
      (values.durability as string | undefined) ?? process.env.SESSIONLOG_DURABILITY ?? 'full';
    if (durability !== 'full' && durability !== 'normal') {
      out.error(`--durability must be full or normal, not ${JSON.stringify(durability)}`);
      return 2;
    }
    const log = openSessionlog({ db: dbFrom(values), durability });
    // Listen before announcing: whoever reads the announcement may signal at once.
    const stop = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    const { rebuilt, caughtUp } = log.opened;
    out.log(
      `sessionlog: log ${log.file} open (logId ${log.store.logId}, head ${await log.store.head()})` +
        (rebuilt.length > 0 ? `; rebuilt ${rebuilt.join(', ')}` : '') +
        (caughtUp.length > 0 ? `; caught up ${caughtUp.join(', ')}` : ''),
    );
    // Nothing else holds the event loop open yet (the HTTP server will): without this, Node
    // would exit at once with the signal promise unsettled.
    const holdOpen = setInterval(() => {}, 2 ** 30);
    await stop;
    clearInterval(holdOpen);
    await log.close();
    out.log('sessionlog: closed');
    return 0;
  },
};
