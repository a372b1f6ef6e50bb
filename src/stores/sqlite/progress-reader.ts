import type { AnyEvent, EventMeta, ProjectedEvent } from '../../events/envelope.js';
import { type FoldedTypes, type FoldPage, foldedEvent } from '../../events/event-row.js';
import type { EventVersions } from '../../events/event-types.js';
import type { SqliteDatabase, Statement } from './database.js';
import { SqliteEventReader } from './reader.js';

/** How often the rows read are reported (verify's progress line). */
const REPORT_EVERY = 10_000;

/** The meta nearly every event has: its schema version is 1 without parsing it. */
const PLAIN_META = JSON.stringify({ schemaVersion: 1 });

/**
 * The columns verify's fold reads of a row (see ProgressReader), after its position: what
 * `foldedColumns` decodes. The data of a type the fold never reads stays in SQLite (NULL):
 * nine events in ten are FileChanged, and their data crossing as a string cost ~1.5 % of
 * verify.
 */
export function foldColumns(types: FoldedTypes): string {
  return `stream, version, type, time, ${dataAndMeta(types)}`;
}

/**
 * The columns of foldColumns that verify's content text (HASHED_CONTENT) does not hold as it
 * crosses into JavaScript: the stream, type and time are read out of that text instead
 * (`foldedFromContent`), three strings a row fewer made by the driver, which cost a fifth of
 * the read.
 */
export function foldColumnsBesideContent(types: FoldedTypes): string {
  return `version, ${dataAndMeta(types)}`;
}

function dataAndMeta(types: FoldedTypes): string {
  const notRead = [...(types.dataNotRead ?? [])].map((type) => `'${type.replaceAll("'", "''")}'`);
  const data = notRead.length === 0 ? 'data' : `iif(type IN (${notRead.join(', ')}), NULL, data)`;
  return `${data}, iif(meta = '${PLAIN_META}', 1, meta)`;
}

/**
 * The event of a row read as position and foldColumns (at `row[at]` on), as the fold takes it;
 * undefined for a type `types` does not handle. A number is PLAIN_META's version: a stored meta never is
 * one (its column has TEXT affinity, which stores a number as text). Any other meta is parsed,
 * as it always was, whether the type is folded or not.
 */
export function foldedColumns(
  position: number,
  row: readonly unknown[],
  at: number,
  types: FoldedTypes,
  registry: EventVersions,
): ProjectedEvent<AnyEvent> | undefined {
  const meta = row[at + 5] as number | string;
  const from = typeof meta === 'number' ? meta : (JSON.parse(meta) as EventMeta).schemaVersion;
  const type = row[at + 2] as string;
  if (!types.handles.has(type)) return undefined;
  const stream = row[at] as string;
  const version = row[at + 1] as number;
  const time = row[at + 3] as string;
  const data = types.dataNotRead?.has(type) ? undefined : (row[at + 4] as string);
  return foldedEvent(position, stream, version, type, time, data, from, registry);
}

/**
 * `foldedColumns` of a row read as its content text (HASHED_CONTENT) and, at `row[at]` on,
 * foldColumnsBesideContent. The text ends `,"stream":S,"time":T,"type":Y,"version":N}`, each
 * of S, T and Y a string json_quote wrote, in which no quote stands unescaped: the last
 * `,"version":` of the text is that key's, and each key before it is the last of its kind
 * before the next. S and T are parsed back (a copy: a slice would keep the whole text alive
 * in the fold's rows); Y is cut out when it has nothing to unescape.
 */
export function foldedFromContent(
  position: number,
  content: string,
  row: readonly unknown[],
  at: number,
  types: FoldedTypes,
  registry: EventVersions,
): ProjectedEvent<AnyEvent> | undefined {
  const meta = row[at + 2] as number | string;
  const from = typeof meta === 'number' ? meta : (JSON.parse(meta) as EventMeta).schemaVersion;
  const versionAt = content.lastIndexOf(',"version":');
  const typeAt = content.lastIndexOf(',"type":', versionAt);
  const quotedType = content.slice(typeAt + 8, versionAt);
  const type = quotedType.includes('\\')
    ? (JSON.parse(quotedType) as string)
    : quotedType.slice(1, -1);
  if (!types.handles.has(type)) return undefined;
  const timeAt = content.lastIndexOf(',"time":', typeAt);
  const streamAt = content.lastIndexOf(',"stream":', timeAt);
  const stream = JSON.parse(content.slice(streamAt + 10, timeAt)) as string;
  const time = JSON.parse(content.slice(timeAt + 8, typeAt)) as string;
  const version = row[at] as number;
  const data = types.dataNotRead?.has(type) ? undefined : (row[at + 1] as string);
  return foldedEvent(position, stream, version, type, time, data, from, registry);
}

/**
 * The reader of verify's fold: it says how far it has read, every REPORT_EVERY positions past
 * the furthest it reported (a snapshot's event read again is not news), and reads a page of
 * rows in one call (the fold asks for pages by position): a million rows through a generator
 * cost a tenth of the fold, and an object per row besides the event folded another tenth. It
 * reads what a projection folds (see ProjectedEvent) and no more: not the id, not the hash
 * (the threads that check the chain read it), and not meta when it is exactly PLAIN_META
 * (SQLite compares it); any other meta crosses and is parsed for its schema version, as the
 * fold always did.
 */
export class ProgressReader extends SqliteEventReader {
  readonly #db: SqliteDatabase;
  readonly #progress: (position: number) => void;
  /** A page's statement for each fold's types (their columns differ: see foldColumns). */
  readonly #pages = new Map<FoldedTypes, Statement>();
  #reported = 0;

  constructor(db: SqliteDatabase, registry: EventVersions, progress: (position: number) => void) {
    super(db, registry);
    this.#db = db;
    this.#progress = progress;
  }

  foldPage(page: { after: number; upTo: number; limit: number }, types: FoldedTypes): FoldPage {
    let statement = this.#pages.get(types);
    if (statement === undefined) {
      statement = this.#db
        .prepare(
          `SELECT position, ${foldColumns(types)} FROM events
           WHERE position > @after AND position <= @upTo ORDER BY position LIMIT @limit`,
        )
        .raw(true);
      this.#pages.set(types, statement);
    }
    const rows = statement.all(page) as [number, ...unknown[]][];
    const events: ProjectedEvent<AnyEvent>[] = [];
    for (const row of rows) {
      const event = foldedColumns(row[0], row, 1, types, this.registry);
      if (event !== undefined) events.push(event);
    }
    const last = rows.at(-1)?.[0];
    if (last !== undefined && last >= this.#reported + REPORT_EVERY) {
      this.#reported = last - (last % REPORT_EVERY);
      this.#progress(this.#reported);
    }
    return { events, last };
  }
}
