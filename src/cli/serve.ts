import { once } from 'node:events';
import { isLoopbackHost } from '../net/loopback.js';
import { tokenProblem } from '../protocol/token.js';
import { type Command, dbFrom } from './args.js';

export const serve: Command = {
  name: 'serve',
  usage: `sessionlog serve [flags]

Serves the dashboard, the HTTP API and the WebSocket gateway on one port, and prints the URL
to open. SIGINT/SIGTERM shut it down cleanly (WebSockets close with 1001).

  --db FILE|:memory:|URL    the log (SESSIONLOG_DB; default ./data/sessionlog.db); a
                            postgres://user@host:5432/db[?schema=NAME] URL puts it in
                            PostgreSQL, where several serve nodes can share it
  --port N                  (PORT; default 3001; 0 picks a free port)
  --host HOST               (HOST; default 127.0.0.1; any other than loopback needs a token)
  --token TOKEN             (SESSIONLOG_TOKEN) required on /api and /ws
  --root DIR                repeatable (SESSIONLOG_ROOTS, ':'-separated): a cwd must lie inside one
  --allow-origin URL        repeatable (SESSIONLOG_ALLOW_ORIGINS, comma-separated)
  --create-rate N           session creations per minute per client, all of loopback as one
                            (SESSIONLOG_CREATE_RATE; default 120; 0 = unlimited)
  --max-watchers N          directories watched at once (SESSIONLOG_MAX_WATCHERS; default 256;
                            0 turns file watching off)
  --durability full|normal  (SESSIONLOG_DURABILITY; default full: acknowledged = on disk)
  --signing-key FILE        the Ed25519 key /api/checkpoint is signed with, PKCS#8 PEM, made
                            (mode 0600) when absent (SESSIONLOG_SIGNING_KEY; default: the log
                            file's name + .signing-key; :memory: makes one at start). Never
                            inside the log. On PostgreSQL there is no default: give every node
                            the same file, or /api/checkpoint answers 503
  --log-level LEVEL         fatal|error|warn|info|debug|trace|silent (SESSIONLOG_LOG_LEVEL;
                            default info): one line per request and per notable event, on stderr
  --log-format json|pretty  (SESSIONLOG_LOG_FORMAT; default json, pretty on a terminal)`,
  options: {
    db: { type: 'string', short: 'd' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    token: { type: 'string' },
    root: { type: 'string', multiple: true },
    'allow-origin': { type: 'string', multiple: true },
    'create-rate': { type: 'string' },
    'max-watchers': { type: 'string' },
    durability: { type: 'string' },
    'signing-key': { type: 'string' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
  },
  async run(values, out) {
    // The server's modules load when it starts: the other commands never need them.
    const { createLogger, LOG_FORMATS, LOG_LEVELS } = await import('../observe/logger.js');
    const env = process.env;
    const flag = (name: string, variable: string): string | undefined =>
      (values[name] as string | undefined) ?? env[variable];
    const list = (name: string, variable: string, separator: string): string[] =>
      (values[name] as string[] | undefined) ??
      env[variable]?.split(separator).filter(Boolean) ??
      [];
    const problems: string[] = [];
    const count = (
      name: string,
      text: string | undefined,
      fallback: number,
      max: number,
    ): number => {
      if (text === undefined) return fallback;
      const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!(n <= max))
        problems.push(
          `--${name} must be a whole number from 0 to ${max}, not ${JSON.stringify(text)}`,
        );
      return n;
    };
    const port = count('port', flag('port', 'PORT'), 3001, 65_535);
    const createRate = count(
      'create-rate',
      flag('create-rate', 'SESSIONLOG_CREATE_RATE'),
      120,
      1_000_000,
    );
    const maxWatchers = count(
      'max-watchers',
      flag('max-watchers', 'SESSIONLOG_MAX_WATCHERS'),
      256,
      100_000,
    );
    const host = flag('host', 'HOST') ?? '127.0.0.1';
    // An empty SESSIONLOG_TOKEN is no token (an unset variable, as shells and compose files
    // pass it); an empty --token is a mistake (a "$TOKEN" that was not set), refused below.
    const token = (values.token as string | undefined) ?? (env.SESSIONLOG_TOKEN || undefined);
    const tokenRefused = token === undefined ? undefined : tokenProblem(token);
    if (tokenRefused !== undefined) problems.push(tokenRefused);
    const durability = flag('durability', 'SESSIONLOG_DURABILITY') ?? 'full';
    if (durability !== 'full' && durability !== 'normal') {
      problems.push(`--durability must be full or normal, not ${JSON.stringify(durability)}`);
    }
    const logLevel = flag('log-level', 'SESSIONLOG_LOG_LEVEL') ?? 'info';
    const level = LOG_LEVELS.find((known) => known === logLevel);
    if (level === undefined) {
      problems.push(
        `--log-level must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(logLevel)}`,
      );
    }
    const logFormat = flag('log-format', 'SESSIONLOG_LOG_FORMAT');
    const format = LOG_FORMATS.find((known) => known === logFormat);
    if (logFormat !== undefined && format === undefined) {
      problems.push(`--log-format must be json or pretty, not ${JSON.stringify(logFormat)}`);
    }
    if (!isLoopbackHost(host) && token === undefined) {
      problems.push(`--host ${host} would expose the log beyond this machine: set --token too`);
    }
    if (problems.length > 0 || (durability !== 'full' && durability !== 'normal')) {
      for (const problem of problems) out.error(`sessionlog serve: ${problem}`);
      return 2;
    }
    // Loaded here: the server's modules cost every other command a tenth of a second to load.
    const { runServer } = await import('../server.js');
    const server = await runServer({
      db: dbFrom(values),
      host,
      port,
      token,
      roots: list('root', 'SESSIONLOG_ROOTS', ':'),
      allowedOrigins: list('allow-origin', 'SESSIONLOG_ALLOW_ORIGINS', ','),
      createRate,
      maxWatchers,
      durability,
      signingKey: flag('signing-key', 'SESSIONLOG_SIGNING_KEY') || undefined,
      // stderr: stdout carries what serve prints for whoever started it (the URL line).
      logger: createLogger({
        ...(level === undefined ? {} : { level }),
        ...(format === undefined ? {} : { format }),
        secrets: token === undefined ? [] : [token],
      }),
    });
    // Listen before announcing: whoever reads the URL may signal at once.
    const stop = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    const { rebuilt, caughtUp } = server.log.opened;
    out.log(
      `sessionlog: log ${server.log.location} (logId ${server.log.store.logId}, head ${await server.log.store.head()})` +
        (rebuilt.length > 0 ? `; rebuilt ${rebuilt.join(', ')}` : '') +
        (caughtUp.length > 0 ? `; caught up ${caughtUp.join(', ')}` : ''),
    );
    out.log(server.dashboardUrl);
    await stop;
    await server.close();
    out.log('sessionlog: stopped');
    return 0;
  },
};
