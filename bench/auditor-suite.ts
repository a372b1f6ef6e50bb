import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BigLog } from './big-log.js';
import { type AuditorFloor, auditorCli, timeCli, timeFloor } from './cli-run.js';
import type { BenchConfig } from './config.js';
import { benchSchemas, pgUnreachable } from './pg-schemas.js';
import { progress, type ReportLine } from './report.js';
import { pairedRatios, summarize } from './stats.js';
import { removeDatabase } from './temp-dir.js';

/**
 * The auditor's commands on the big log, each a child process as a user runs it: `verify`,
 * `events` (the export, to a file) and `import` of that export into a new file, as events/s
 * over `auditorRounds` runs; then the same on PostgreSQL (the export imported into a fresh
 * schema, exported and verified there), skipped when PostgreSQL is not there. Targets:
 * issue 15 (verify and export ≥ 500,000 events/s, import ≥ 200,000 on SQLite).
 *
 * `verify` and `import` alternate with their floors (auditor-floor.ts: the least work per
 * event that any such command does, each part in one thread), and each is also given as a
 * ratio to the floors' ceiling (their work spread over every core without a loss): the same
 * code read 2.5 times slower from one machine of this workplace to another, and its floors
 * with it. The ceiling says what this machine allows; the ratio, what the code makes of it.
 */
export async function auditorSuite(
  dir: string,
  log: BigLog,
  config: BenchConfig,
): Promise<ReportLine[]> {
  const { auditorRounds: rounds } = config;
  const exported = join(dir, 'export.ndjson');
  const imported = join(dir, 'imported.db');
  const rate = (seconds: number) => log.events / seconds;
  const figure = (name: string, samples: number[], target?: number): ReportLine => ({
    kind: 'figure',
    name: `${name} ×${samples.length}`,
    summary: summarize(samples.map(rate)),
    unit: 'events/s',
    ...(target === undefined ? {} : { target }),
  });
  const said = (what: string, seconds: number) =>
    progress(`  ${what}: ${Math.round(rate(seconds)).toLocaleString('en-US')} events/s`);
  const times = async (what: string, run: () => Promise<number>, runs = rounds) => {
    progress(`${what} ×${runs}`);
    const samples: number[] = [];
    for (let round = 0; round < runs; round++) {
      samples.push(await run());
      // Each run said as it ends: a long suite cut short still leaves its figures.
      said(what, samples.at(-1) as number);
    }
    return samples;
  };
  /**
   * The command's runs, each followed by a run of each of its floors (on the log or on the
   * export); its figure, the floors', their ceiling on this machine's cores (the floors' work
   * spread over every core without a loss), and the command's ratio to that ceiling.
   */
  const againstFloors = async (
    what: string,
    name: string,
    run: () => Promise<number>,
    floors: readonly { floor: AuditorFloor; input: string }[],
    target: number,
  ): Promise<ReportLine[]> => {
    progress(`${what} and its floors (${floors.map((f) => f.floor).join(', ')}) ×${rounds}`);
    const samples: number[] = [];
    const floorSamples = floors.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      samples.push(await run());
      said(what, samples.at(-1) as number);
      for (const [i, { floor, input }] of floors.entries()) {
        floorSamples[i]?.push(await timeFloor(floor, input, log.events));
        said(`${floor} floor`, floorSamples[i]?.at(-1) as number);
      }
    }
    const cores = availableParallelism();
    const ceiling = samples.map(
      (_, round) => floorSamples.reduce((sum, times) => sum + (times[round] as number), 0) / cores,
    );
    // Rates are the inverse of times: the command's rate over the ceiling's is ceiling / command.
    const perRound = summarize(pairedRatios(ceiling, samples));
    return [
      figure(name, samples, target),
      ...floors.map(({ floor }, i) => figure(`  floor: ${FLOORS[floor]}`, floorSamples[i] ?? [])),
      figure(`  the floors' ceiling on ${cores} cores`, ceiling),
      { kind: 'ratio', name: `  ${what} / that ceiling`, ratio: perRound.median, perRound },
    ];
  };
  const lines: ReportLine[] = [
    { kind: 'section', title: `Auditor tools (${log.events.toLocaleString('en-US')} events)` },
    { kind: 'note', text: `CLI: ${auditorCli().label}` },
  ];
  lines.push(
    ...(await againstFloors(
      'verify',
      'verify --db FILE',
      () => timeCli(['verify', '--db', log.file]),
      [
        { floor: 'chain', input: log.file },
        { floor: 'tree', input: log.file },
      ],
      config.auditorTarget,
    )),
    figure(
      'events --db FILE > export',
      await times('events', () => timeCli(['events', '--db', log.file], exported)),
      config.auditorTarget,
    ),
  );
  try {
    lines.push(
      ...(await againstFloors(
        'import',
        'import --from export into a new file',
        () => {
          removeDatabase(imported);
          return timeCli(['import', '--db', imported, '--from', exported]);
        },
        [
          { floor: 'lines', input: exported },
          { floor: 'writes', input: log.file },
        ],
        config.importTarget,
      )),
    );
  } catch (error) {
    lines.push({
      kind: 'note',
      text: `import not measured: ${(error as Error).message.slice(0, 120)}`,
    });
  }
  const unreachable = await pgUnreachable();
  if (unreachable !== undefined) {
    lines.push({ kind: 'note', text: `PostgreSQL skipped: ${unreachable}` });
    return lines;
  }
  const schemas = benchSchemas();
  try {
    let url = '';
    // Once each: the sessions history (a row per event) makes these the slowest steps.
    const pgImport = await times(
      'import into PostgreSQL',
      () => {
        url = schemas.fresh();
        return timeCli(['import', '--db', url, '--from', exported]);
      },
      1,
    );
    lines.push(
      { kind: 'section', title: 'Auditor tools on PostgreSQL' },
      figure('import --from export into a fresh schema', pgImport),
      figure(
        'events --db URL > export',
        await times('events from PostgreSQL', () => timeCli(['events', '--db', url], exported), 1),
      ),
      figure(
        'verify --db URL',
        await times('verify on PostgreSQL', () => timeCli(['verify', '--db', url]), 1),
      ),
    );
  } catch (error) {
    lines.push({
      kind: 'note',
      text: `PostgreSQL not measured: ${(error as Error).message.slice(0, 120)}`,
    });
  } finally {
    await schemas.dropAll();
  }
  return lines;
}

/** What each floor does (auditor-floor.ts), in one thread of a process already started. */
const FLOORS: Record<AuditorFloor, string> = {
  chain: 'rows read, the chain recomputed (one thread)',
  lines: 'lines parsed, canonical JSON, the chain (one thread)',
  writes: "the events written by import's writer (one thread)",
  tree: "the Merkle tree's root over the events' hashes (one thread)",
};
