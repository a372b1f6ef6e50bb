import { join } from 'node:path';
import { appendRound } from './append.js';
import type { BenchConfig } from './config.js';
import { rawInsertRound } from './raw-insert.js';
import { progress, type ReportLine } from './report.js';
import { pairedRatios, summarize } from './stats.js';
import { removeDatabase } from './temp-dir.js';

interface Figure {
  name: string;
  unit: string;
  /** One round on a fresh file; returns a rate. */
  measure(file: string, ms: number): number | Promise<number>;
}

function appendFigures({ appenders }: BenchConfig) {
  return {
    rawNormal: {
      name: 'raw insert, 1/txn, synchronous=NORMAL',
      unit: 'rows/s',
      measure: (file, ms) => rawInsertRound({ file, synchronous: 'NORMAL', ms }),
    },
    rawFull: {
      name: 'raw insert, 1/txn, synchronous=FULL',
      unit: 'rows/s',
      measure: (file, ms) => rawInsertRound({ file, synchronous: 'FULL', ms }),
    },
    storeNormal: {
      name: `store.append ×${appenders}, durability normal`,
      unit: 'events/s',
      measure: (file, ms) =>
        appendRound({ file, durability: 'normal', path: 'store', appenders, ms }),
    },
    storeFull: {
      name: `store.append ×${appenders}, durability full`,
      unit: 'events/s',
      measure: (file, ms) =>
        appendRound({ file, durability: 'full', path: 'store', appenders, ms }),
    },
    commandsNormal: {
      name: `recordFileChange ×${appenders}, normal`,
      unit: 'events/s',
      measure: (file, ms) =>
        appendRound({ file, durability: 'normal', path: 'commands', appenders, ms }),
    },
    commandsFull: {
      name: `recordFileChange ×${appenders}, full`,
      unit: 'events/s',
      measure: (file, ms) =>
        appendRound({ file, durability: 'full', path: 'commands', appenders, ms }),
    },
  } satisfies Record<string, Figure>;
}

type FigureKey = keyof ReturnType<typeof appendFigures>;

/**
 * The append figures and their ratios to the baseline. Every figure runs once per round, on a
 * fresh file, in an order that rotates from round to round, so that a noisy stretch of the
 * machine hits all of them alike and same-round pairs make fair ratios.
 */
export async function appendSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const figures = appendFigures(config);
  const keys = Object.keys(figures) as FigureKey[];
  const samples = new Map<FigureKey, number[]>(keys.map((key) => [key, []]));
  let run = 0;
  const once = async (key: FigureKey, ms: number) => {
    const file = join(dir, `append-${run++}.db`);
    try {
      return await figures[key].measure(file, ms);
    } finally {
      removeDatabase(file);
    }
  };
  progress('warming up the append figures');
  for (const key of keys) await once(key, config.warmupMs);
  for (let round = 0; round < config.rounds; round++) {
    progress(`append round ${round + 1}/${config.rounds}`);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[(round + i) % keys.length] as FigureKey;
      samples.get(key)?.push(await once(key, config.roundMs));
    }
  }

  const of = (key: FigureKey) => samples.get(key) ?? [];
  const lines: ReportLine[] = [{ kind: 'section', title: 'Appends (one event per append)' }];
  for (const key of keys) {
    const { name, unit } = figures[key];
    lines.push({ kind: 'figure', name, summary: summarize(of(key)), unit });
  }
  lines.push({ kind: 'section', title: 'Ratios (of medians; per round: same-round pairs)' });
  const ratio = (name: string, top: FigureKey, bottom: FigureKey, target?: number) => {
    lines.push({
      kind: 'ratio',
      name,
      ratio: summarize(of(top)).median / summarize(of(bottom)).median,
      perRound: summarize(pairedRatios(of(top), of(bottom))),
      ...(target === undefined ? {} : { target }),
    });
  };
  ratio('store full / raw normal', 'storeFull', 'rawNormal', 0.5);
  ratio('store normal / raw normal', 'storeNormal', 'rawNormal', 0.7);
  ratio('commands full / raw normal', 'commandsFull', 'rawNormal');
  ratio('commands normal / raw normal', 'commandsNormal', 'rawNormal');
  ratio('store full / raw full', 'storeFull', 'rawFull');
  return lines;
}
