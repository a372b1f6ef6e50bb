import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { timeCli } from './cli-run.js';
import type { BenchConfig } from './config.js';
import { progress, type ReportLine } from './report.js';
import { type DashboardOpen, launchBenchChromium, openDashboard } from './scale-browser.js';
import { buildScaleLog, type ScaleLog } from './scale-log.js';
import { timeReturn } from './scale-reconnect.js';
import { startSessionlogChild } from './server-children.js';
import { summarize } from './stats.js';

const MB = 1_000_000;
const MIB = 1024 * 1024;

/**
 * Issue 15's targets on its big log (scale-log.ts: 100,001 sessions, 90 % ended, one with
 * 100,000 file changes, 1,090,001 events), `serve` in a child process and the dashboard in
 * Chromium (needs `npm run build`):
 *
 *   1. `scaleOpens` first visits of the dashboard, each in a fresh browser context: first
 *      sessions drawn, bytes over the wire, JS heap and DOM after open, and the busy
 *      session's newest event on screen after opening it; server RSS after the opens against
 *      RSS at start.
 *   2. GET /api/sessions, the whole table, plain, gzip and br: bytes, time, and the server's
 *      CPU time (/proc: zlib works on libuv's threads, beyond the event loop's busy share).
 *   3. A client back after missing `scaleMissed` events (scale-reconnect.ts), on a small log.
 *
 * Today's figures, from the issue, beside them as notes.
 */
export async function scaleSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const file = join(dir, 'scale.db');
  progress(`scale: building ${config.scaleSessions.toLocaleString('en-US')} sessions`);
  const log = await buildScaleLog(file, {
    sessions: config.scaleSessions,
    busyChanges: config.scaleBusyChanges,
  });
  // The log is built beside the store's own paths: what it measures must be a sound log.
  progress('scale: verify the built log');
  const verifySeconds = await timeCli(['verify', '--db', file]);
  const count = (n: number) => n.toLocaleString('en-US');
  const lines: ReportLine[] = [
    {
      kind: 'section',
      title: `Scale: ${count(log.events)} events, ${count(log.sessions)} sessions (${count(log.active)} active), one with ${count(config.scaleBusyChanges)} file changes`,
    },
    {
      kind: 'note',
      text: `built through import's path in ${(log.buildMs / 1000).toFixed(1)} s (${count(Math.round(log.events / (log.buildMs / 1000)))} events/s); \`verify\` says OK in ${verifySeconds.toFixed(1)} s`,
    },
  ];
  lines.push(...(await dashboardFigures(log, config)));
  lines.push(...(await tableFigures(log, config)));
  lines.push(...(await returnFigures(dir, config)));
  return lines;
}

async function dashboardFigures(log: ScaleLog, config: BenchConfig): Promise<ReportLine[]> {
  const server = await startSessionlogChild({
    db: log.file,
    durability: 'normal',
    watch: false,
    exposeGc: true,
    cpuProfileDir: config.cpuProfileDir,
  });
  const chromium = await launchBenchChromium();
  try {
    const atStart = await server.stats();
    const opens: DashboardOpen[] = [];
    for (let i = 0; i < config.scaleOpens; i++) {
      progress(`scale: dashboard open ${i + 1} of ${config.scaleOpens}`);
      opens.push(
        await openDashboard(chromium.browser, server.url, { id: log.busy, head: log.busyHead }),
      );
    }
    const after = await server.stats();
    const collected = await server.stats(true);
    const figure = (
      name: string,
      pick: (open: DashboardOpen) => number,
      unit: string,
      target?: number,
    ): ReportLine => ({
      kind: 'figure',
      name: `${name} ×${opens.length}`,
      summary: summarize(opens.map(pick)),
      unit,
      ...(target === undefined ? {} : { target, ceiling: true }),
    });
    const first = opens[0] as DashboardOpen;
    const byKind = new Map<string, number>();
    for (const { url, bytes } of first.requests) {
      const path = new URL(url).pathname;
      const kind = path.startsWith('/assets/') ? 'assets' : path;
      byKind.set(kind, (byKind.get(kind) ?? 0) + bytes);
    }
    return [
      figure('dashboard: first sessions drawn', (o) => o.firstRowsMs, 'ms', 1000),
      figure('dashboard: Live', (o) => o.liveMs, 'ms'),
      figure('dashboard: bytes to its first screen', (o) => o.bytes / MB, 'MB', 1),
      {
        kind: 'note',
        text: `first open's ${first.requests.length} requests: ${[...byKind].map(([kind, bytes]) => `${kind} ${(bytes / 1000).toFixed(0)} kB`).join(', ')}; ${(first.decodedBytes / MB).toFixed(2)} MB once decoded`,
      },
      { kind: 'note', text: `where the first open's time went: ${timeline(first)}` },
      figure('dashboard: JS heap after open (after GC)', (o) => o.jsHeapBytes / MB, 'MB', 40),
      figure('dashboard: DOM nodes (CDP, text included)', (o) => o.domNodes, 'nodes', 3000),
      { kind: 'note', text: `elements alone: ${summarize(opens.map((o) => o.elements)).median}` },
      figure(`busy session: newest event on screen`, (o) => o.busyNewestMs, 'ms', 500),
      {
        kind: 'figure',
        name: `server RSS after ${opens.length} opens ÷ at start`,
        summary: summarize([after.rss / atStart.rss]),
        unit: '×',
        target: 1.5,
        ceiling: true,
      },
      {
        kind: 'note',
        text: `server RSS ${mib(atStart.rss)} MiB at start, ${mib(after.rss)} MiB after, ${mib(collected.rss)} MiB after a full GC`,
      },
      {
        kind: 'note',
        text: 'today (issue 15): first session 5.5 s, Live 7.5 s; 28.9 MB; heap 212 MB, 110,163 DOM nodes; RSS 162 → 484 MB after 3 table reads; the busy timeline never reached its newest event',
      },
    ];
  } finally {
    await chromium.close();
    await server.stop();
  }
}

/** GET /api/sessions, the whole table, as each encoding: bytes, time, server CPU. */
async function tableFigures(log: ScaleLog, config: BenchConfig): Promise<ReportLine[]> {
  const server = await startSessionlogChild({ db: log.file, durability: 'normal', watch: false });
  try {
    const lines: ReportLine[] = [
      { kind: 'section', title: 'GET /api/sessions, the whole table (today: 28.9 MB, 0.70 s)' },
    ];
    for (const encoding of ['identity', 'gzip', 'br']) {
      const ms: number[] = [];
      const cpuMs: number[] = [];
      let bytes = 0;
      for (let i = 0; i < config.scaleTableReads; i++) {
        progress(`scale: whole table, ${encoding}, read ${i + 1}`);
        const cpu = cpuTimeMs(server.pid);
        const started = performance.now();
        bytes = await wireBytes(`${server.url}/api/sessions`, encoding);
        ms.push(performance.now() - started);
        cpuMs.push(cpuTimeMs(server.pid) - cpu);
      }
      lines.push(
        { kind: 'figure', name: `${encoding}: time per read`, summary: summarize(ms), unit: 'ms' },
        {
          kind: 'figure',
          name: `${encoding}: server CPU per read`,
          summary: summarize(cpuMs),
          unit: 'ms',
        },
        { kind: 'note', text: `${encoding}: ${(bytes / MB).toFixed(2)} MB over the wire` },
      );
    }
    return lines;
  } finally {
    await server.stop();
  }
}

async function returnFigures(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const file = join(dir, 'scale-return.db');
  await buildScaleLog(file, { sessions: 1000, busyChanges: 1000 });
  const chromium = await launchBenchChromium();
  try {
    const samples: number[] = [];
    const notes: string[] = [];
    for (let round = 0; round < config.scaleReturnRounds; round++) {
      progress(`scale: a client back after ${config.scaleMissed.toLocaleString('en-US')} events`);
      const back = await timeReturn(chromium.browser, file, {
        missed: config.scaleMissed,
        round,
        cpuProfileDir: config.cpuProfileDir,
      });
      samples.push(back.liveMs);
      notes.push(
        `${back.states.join(' → ')} (missed events written in ${(back.extendMs / 1000).toFixed(1)} s)`,
      );
    }
    return [
      {
        kind: 'section',
        title: `A client back after missing ${config.scaleMissed.toLocaleString('en-US')} events (today: replays them all)`,
      },
      {
        kind: 'figure',
        name: `"Live" again, table as the server's ×${samples.length}`,
        summary: summarize(samples),
        unit: 'ms',
        target: 2000,
        ceiling: true,
      },
      ...notes.map((text): ReportLine => ({ kind: 'note', text })),
    ];
  } finally {
    await chromium.close();
  }
}

/** The open's requests in the order they began: the page, the bundle, then the reads. */
function timeline(open: DashboardOpen): string {
  const spans = open.requests
    .filter(({ url }) => !new URL(url).pathname.startsWith('/api/sessions'))
    .map(
      ({ url, startMs, endMs }) =>
        `${new URL(url).pathname} ${startMs.toFixed(0)}–${endMs.toFixed(0)}`,
    );
  const reads = open.requests.filter(({ url }) => new URL(url).pathname === '/api/sessions');
  const first = Math.min(...reads.map((r) => r.startMs));
  const last = Math.max(...reads.map((r) => r.endMs));
  const each = summarize(reads.map((r) => r.endMs - r.startMs)).median;
  return `${spans.join(', ')} ms; ${reads.length} reads of /api/sessions ${first.toFixed(0)}–${last.toFixed(0)} ms (median ${each.toFixed(0)} ms each, one after another); first rows drawn at ${open.firstRowsMs.toFixed(0)} ms`;
}

/** A process's CPU time so far, user and system, all threads (Linux /proc), ms. */
function cpuTimeMs(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** GETs `url` with `Accept-Encoding: encoding`, decoding nothing; the body's bytes. */
function wireBytes(url: string, encoding: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers: { 'accept-encoding': encoding }, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    }).on('error', reject);
  });
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(0);
}
