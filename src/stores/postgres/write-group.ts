import type pg from 'pg';
import {
  appendResult,
  checkExpectedVersion,
  type IdempotencyRow,
  type PendingAppend,
  type RecordedEvent,
  recordEvents,
  redecided,
  redecidingFrom,
  replayOf,
} from '../../events/append-plan.js';
import type { AnyEvent, Envelope } from '../../events/envelope.js';
import { IdempotencyKeyReusedError } from '../../events/errors.js';
import { decodeRow, type EventRow, upcast } from '../../events/event-row.js';
import type { EventRegistry } from '../../events/schemas.js';
import type { AppendResult } from '../../events/store.js';
import { EVENT_COLUMNS } from './reader.js';

/** Work done inside the append's transaction (the sessions table), on its connection. */
export interface PgTransactionHook {
  apply(client: pg.PoolClient, events: readonly Envelope<AnyEvent>[], head: number): Promise<void>;
}

/** What a transaction has done so far: one outcome per append, and where the log now ends. */
export interface GroupOutcome {
  outcomes: Array<{ ok: true; result: AppendResult<AnyEvent> } | { ok: false; error: unknown }>;
  recorded: RecordedEvent[];
  head: number;
  hash: string;
}

export interface WriteContext {
  registry: EventRegistry;
  newId: () => string;
  /** The time recorded on the group's events. */
  time: string;
  hooks: readonly PgTransactionHook[];
}

type KeyRow = IdempotencyRow & { key: string };

/**
 * Checks and writes a group of appends after `at`, inside a transaction that holds the head's
 * lock: the idempotency keys and stream versions in one query, the events and keys in one
 * statement, then the hooks. A refused append (version, key, a decision made again) is refused
 * before anything of it is written; its neighbours go on.
 */
export async function writeGroup(
  client: pg.PoolClient,
  group: readonly PendingAppend[],
  at: GroupOutcome,
  context: WriteContext,
): Promise<GroupOutcome> {
  const { known, versions } = await lookUp(client, group);
  const outcomes = [...at.outcomes];
  const written: RecordedEvent[] = [];
  const newKeys: KeyRow[] = [];
  let { head, hash } = at;
  for (const pending of group) {
    const { stream, idempotencyKey, fingerprint } = pending;
    const earlier = idempotencyKey === undefined ? undefined : known.get(idempotencyKey);
    if (earlier !== undefined) {
      outcomes.push(
        earlier.fingerprint === fingerprint
          ? { ok: true, result: replayOf(earlier) }
          : { ok: false, error: new IdempotencyKeyReusedError(idempotencyKey as string) },
      );
      continue;
    }
    const current = versions.get(stream) ?? 0;
    const from = redecidingFrom(pending, current);
    const missed =
      from === undefined
        ? []
        : [
            ...(await committedAfter(client, stream, from, context.registry)),
            ...written.filter((r) => r.envelope.stream === stream).map((r) => r.envelope),
          ];
    let append = pending;
    try {
      if (from === undefined) checkExpectedVersion(stream, pending.expectedVersion, current);
      else append = redecided(pending, missed, context.registry);
    } catch (error) {
      outcomes.push({ ok: false, error });
      continue;
    }
    const events = recordEvents(
      append,
      { head, previousHash: hash, version: current, time: context.time },
      context.registry,
      context.newId,
    );
    const envelopes = events.map(({ envelope }) => envelope);
    const result = appendResult(stream, envelopes);
    written.push(...events);
    outcomes.push({ ok: true, result });
    head = result.position;
    hash = envelopes.at(-1)?.hash ?? hash;
    versions.set(stream, result.version);
    if (idempotencyKey !== undefined) {
      const { firstPosition, position, version } = result;
      // A keyed append always has its fingerprint (planAppend).
      const row = {
        key: idempotencyKey,
        fingerprint: fingerprint as string,
        stream,
        position,
        version,
      };
      known.set(idempotencyKey, { ...row, first_position: firstPosition });
      newKeys.push({ ...row, first_position: firstPosition });
    }
  }
  if (written.length > 0) {
    await insert(client, written, newKeys);
    const envelopes = written.map(({ envelope }) => envelope);
    for (const hook of context.hooks) await hook.apply(client, envelopes, head);
  }
  return { outcomes, recorded: [...at.recorded, ...written], head, hash };
}

/** The keys the group repeats, and the current version of each of its streams. */
async function lookUp(client: pg.PoolClient, group: readonly PendingAppend[]) {
  const keys = [...new Set(group.flatMap((p) => p.idempotencyKey ?? []))];
  const streams = [...new Set(group.map((p) => p.stream))];
  const { rows } = await client.query<IdempotencyRow & { key: string | null }>(
    `SELECT key, fingerprint, stream, first_position, position, version
       FROM idempotency_keys WHERE key = ANY($1::text[])
     UNION ALL
     SELECT NULL, NULL, stream, NULL, NULL, max(version) FROM events
       WHERE stream = ANY($2::text[]) GROUP BY stream`,
    [keys, streams],
  );
  const known = new Map<string, IdempotencyRow>();
  const versions = new Map<string, number>();
  for (const row of rows) {
    if (row.key === null) versions.set(row.stream, row.version);
    else known.set(row.key, row);
  }
  return { known, versions };
}

/**
 * The stream's events after `version` that are in the table: committed (on any node: the
 * head's lock is held) or written earlier in this transaction. A group's own events are not
 * inserted until its end.
 */
async function committedAfter(
  client: pg.PoolClient,
  stream: string,
  version: number,
  registry: EventRegistry,
): Promise<Envelope<AnyEvent>[]> {
  const { rows } = await client.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = $1 AND version > $2 ORDER BY version`,
    [stream, version],
  );
  return rows.map((row) => upcast(decodeRow(row), registry));
}

/** The events and the new idempotency keys, in one statement. */
async function insert(
  client: pg.PoolClient,
  written: readonly RecordedEvent[],
  keys: readonly KeyRow[],
): Promise<void> {
  const events = <T>(pick: (r: RecordedEvent) => T) => written.map(pick);
  const ofKeys = <T>(pick: (k: KeyRow) => T) => keys.map(pick);
  await client.query(
    `WITH keys AS (
       INSERT INTO idempotency_keys (key, fingerprint, stream, first_position, position, version)
       SELECT * FROM unnest($10::text[], $11::text[], $12::text[], $13::bigint[], $14::bigint[],
         $15::integer[]))
     INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::integer[], $5::text[],
       $6::text[], $7::json[], $8::json[], $9::text[])`,
    [
      events((r) => r.envelope.position),
      events((r) => r.envelope.id),
      events((r) => r.envelope.stream),
      events((r) => r.envelope.version),
      events((r) => r.envelope.type),
      events((r) => r.envelope.time),
      events((r) => r.data),
      events((r) => r.meta),
      events((r) => r.envelope.hash),
      ofKeys((k) => k.key),
      ofKeys((k) => k.fingerprint),
      ofKeys((k) => k.stream),
      ofKeys((k) => k.first_position),
      ofKeys((k) => k.position),
      ofKeys((k) => k.version),
    ],
  );
}
