import { join } from 'node:path';
import { buildLog } from './build-log.js';
import type { BenchConfig } from './config.js';
import { progress } from './report.js';

/** The big log, built once and shared: the rebuild and the replay both read it. */
export interface BigLog {
  file: string;
  events: number;
  sessions: number;
  /** How long building it took (the rebuild suite reports it). */
  buildMs: number;
}

/**
 * Builds `logSessions × eventsPerSession` events through the store (durability normal), once
 * per run: at a million events the build is the slowest step of the bench.
 */
export async function buildBigLog(dir: string, config: BenchConfig): Promise<BigLog> {
  const { logSessions: sessions, eventsPerSession, logAppendsInFlight: inFlight } = config;
  const file = join(dir, 'big-log.db');
  const expected = sessions * eventsPerSession;
  progress(`building a log of ${expected.toLocaleString('en-US')} events`);
  const built = await buildLog(file, { sessions, eventsPerSession, inFlight });
  if (built.events !== expected) throw new Error(`built ${built.events} events, not ${expected}`);
  return { file, events: expected, sessions, buildMs: built.ms };
}
