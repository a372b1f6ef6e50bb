import { join } from 'node:path';
import { openPgSessionlog } from '../src/stores/postgres/open-postgres.js';
import { appendLoad, appendRound } from './append.js';
import type { BenchConfig } from './config.js';
import { type Delivery, measureDelivery } from './delivery.js';
import { benchSchemas, pgUnreachable } from './pg-schemas.js';
import { percent, progress, type ReportLine } from './report.js';
import { type ServerChild, startSessionlogChild } from './server-children.js';
import { pairedRatios, summarize } from './stats.js';
import { removeDatabase, sessionsCwd } from './temp-dir.js';

type Schemas = ReturnType<typeof benchSchemas>;

/**
 * The PostgreSQL log beside the SQLite one, in the same run:
 *
 *   1. Single-event appends from concurrent appenders through the store, on a fresh SQLite
 *      file and on a fresh PostgreSQL schema per round, durability `full` and `normal`, as
 *      events/s, and PostgreSQL / SQLite; and the same load split over two nodes of one log.
 *   2. POST → SessionStarted latency on WebSocket clients: one SQLite node; one PostgreSQL node;
 *      and across two nodes of one PostgreSQL log (POSTed to A, the clients on B), the path
 *      that several nodes behind a load balancer take.
 *
 * Skips, saying why, when PostgreSQL cannot be reached.
 */
export async function pgSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const unreachable = await pgUnreachable();
  if (unreachable !== undefined) {
    progress(`PostgreSQL: skipped: ${unreachable}`);
    return [
      { kind: 'section', title: 'PostgreSQL' },
      { kind: 'note', text: `skipped: ${unreachable}` },
    ];
  }
  const schemas = benchSchemas();
  try {
    return [...(await appends(dir, config, schemas)), ...(await deliveries(dir, config, schemas))];
  } finally {
    await schemas.dropAll();
  }
}

async function appends(dir: string, config: BenchConfig, schemas: Schemas) {
  const { appenders } = config;
  let run = 0;
  const sqlite = (durability: 'full' | 'normal') => async (ms: number) => {
    const file = join(dir, `pg-suite-${run++}.db`);
    try {
      return await appendRound({ file, durability, path: 'store', appenders, ms });
    } finally {
      removeDatabase(file);
    }
  };
  const postgres = (durability: 'full' | 'normal') => async (ms: number) => {
    const log = await openPgSessionlog({ url: schemas.fresh(), durability });
    try {
      return await appendLoad(log, { path: 'store', appenders, ms });
    } finally {
      await log.close();
      await schemas.dropAll();
    }
  };
  // Two nodes on one log, half the appenders each: the head's lock is shared between them.
  const twoNodes = async (ms: number) => {
    const url = schemas.fresh();
    const a = await openPgSessionlog({ url, applicationName: 'bench node A' });
    const b = await openPgSessionlog({ url, applicationName: 'bench node B' });
    try {
      const half = { path: 'store' as const, appenders: Math.max(1, appenders / 2), ms };
      const [onA, onB] = await Promise.all([appendLoad(a, half), appendLoad(b, half)]);
      return onA + onB;
    } finally {
      await a.close();
      await b.close();
      await schemas.dropAll();
    }
  };
  const figures = {
    sqliteFull: { name: `SQLite store.append ×${appenders}, full`, measure: sqlite('full') },
    pgFull: { name: `PostgreSQL store.append ×${appenders}, full`, measure: postgres('full') },
    sqliteNormal: { name: `SQLite store.append ×${appenders}, normal`, measure: sqlite('normal') },
    pgNormal: {
      name: `PostgreSQL store.append ×${appenders}, normal`,
      measure: postgres('normal'),
    },
    pgTwoNodes: {
      name: `PostgreSQL store.append ×${appenders / 2} on each of two nodes, full`,
      measure: twoNodes,
    },
  };
  type Key = keyof typeof figures;
  const keys = Object.keys(figures) as Key[];
  const samples = new Map<Key, number[]>(keys.map((key) => [key, []]));
  progress('PostgreSQL: warming up the append figures');
  for (const key of keys) await figures[key].measure(config.warmupMs);
  // Interleaved rounds in a rotating order, as in append-suite.ts: same-round pairs are fair.
  for (let round = 0; round < config.rounds; round++) {
    progress(`PostgreSQL: append round ${round + 1}/${config.rounds}`);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[(round + i) % keys.length] as Key;
      samples.get(key)?.push(await figures[key].measure(config.roundMs));
    }
  }
  const of = (key: Key) => samples.get(key) ?? [];
  const lines: ReportLine[] = [
    { kind: 'section', title: 'PostgreSQL beside SQLite: appends (one event per append)' },
  ];
  for (const key of keys) {
    lines.push({
      kind: 'figure',
      name: figures[key].name,
      summary: summarize(of(key)),
      unit: 'events/s',
    });
  }
  const ratio = (name: string, top: Key, bottom: Key): ReportLine => ({
    kind: 'ratio',
    name,
    ratio: summarize(of(top)).median / summarize(of(bottom)).median,
    perRound: summarize(pairedRatios(of(top), of(bottom))),
  });
  lines.push(
    ratio('PostgreSQL / SQLite, full', 'pgFull', 'sqliteFull'),
    ratio('PostgreSQL / SQLite, normal', 'pgNormal', 'sqliteNormal'),
    ratio('PostgreSQL two nodes / one node, full', 'pgTwoNodes', 'pgFull'),
  );
  return lines;
}

async function deliveries(dir: string, config: BenchConfig, schemas: Schemas) {
  const { pgClients: clients, fanoutRate: rate, fanoutMs: ms } = config;
  const body = JSON.stringify({ cwd: sessionsCwd(dir), name: 'bench' });
  // Watching off on every node: the figure is the log's path from a commit to the clients.
  const start = (db: string) =>
    startSessionlogChild({
      db,
      durability: 'full',
      watch: false,
      cpuProfileDir: config.cpuProfileDir,
    });
  const measure = async (label: string, nodes: readonly ServerChild[]) => {
    progress(`PostgreSQL: POST → delivery, ${label}: ${rate} creations/s for ${ms / 1000} s`);
    try {
      const postTo = nodes[0] as ServerChild;
      const deliverFrom = nodes.at(-1) as ServerChild;
      return await measureDelivery({
        postTo,
        deliverFrom,
        clients,
        processes: 1,
        connectBatch: config.connectBatch,
        rate,
        ms,
        body,
      });
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  };
  const sqlite = await measure('one SQLite node', [await start(join(dir, 'pg-delivery.db'))]);
  const single = await measure('one PostgreSQL node', [await start(schemas.fresh())]);
  const shared = schemas.fresh();
  const a = await start(shared);
  const b = await start(shared).catch(async (error: unknown) => {
    await a.stop();
    throw error;
  });
  const crossing = await measure('PostgreSQL node A → node B', [a, b]);

  const lines: ReportLine[] = [
    {
      kind: 'section',
      title: `PostgreSQL beside SQLite: POST → SessionStarted on ${clients} WebSocket clients, ${rate} creations/s for ${ms / 1000} s (1 run each, all deliveries, watching off)`,
    },
  ];
  const report = (label: string, delivery: Delivery) => {
    const { histogram, posted } = delivery;
    const one = (name: string, value: number): ReportLine => ({
      kind: 'figure',
      name: `${label}: ${name}`,
      summary: summarize([value]),
      unit: 'ms',
    });
    lines.push(
      one('p50', histogram.percentile(0.5)),
      one('p99', histogram.percentile(0.99)),
      one('max', histogram.max),
      {
        kind: 'note',
        text: `deliveries ${delivery.matched} of ${delivery.expected} (${delivery.expected - delivery.matched} missing), out of order or doubled ${delivery.disorder}, dropped by the server ${delivery.dropped}; POSTs ${posted.sent.length} created, ${posted.failed} failed`,
      },
      {
        kind: 'note',
        text: `event loop busy: POSTed node ${percent(delivery.busy.postTo)}, clients' node ${percent(delivery.busy.deliverFrom)}, client process ${delivery.busy.clients.map(percent).join(', ')}`,
      },
    );
  };
  report('SQLite, one node', sqlite);
  report('PostgreSQL, one node', single);
  report('PostgreSQL, POST to A, clients on B', crossing);
  lines.push({
    kind: 'ratio',
    name: 'p50 A → B / SQLite',
    ratio: crossing.histogram.percentile(0.5) / sqlite.histogram.percentile(0.5),
  });
  lines.push({
    kind: 'ratio',
    name: 'p99 A → B / SQLite',
    ratio: crossing.histogram.percentile(0.99) / sqlite.histogram.percentile(0.99),
  });
  return lines;
}
