import type { ProjectedEvent } from '../events/envelope.js';
import { SESSION_EVENT_TYPES } from '../events/event-types.js';
import { illFormedPath, wellFormed } from '../events/well-formed.js';
import { DATA_NOT_READ, evolve, type SessionState } from '../sessions/session.js';
import type { ListedTable, Projection } from './projection.js';

/** The sessions table as a store gives it: `list` filters by status. */
export type SessionsTable = ListedTable<SessionState, 'status'>;

/**
 * The sessions table of SPEC: one row per session, updated in each append's transaction. Its
 * columns, in the order the rows' fields have (the HTTP answers keep it).
 */
export const sessionsProjection: Projection<SessionState, 'status'> = {
  name: 'sessions',
  version: 1,
  handles: new Set(SESSION_EVENT_TYPES),
  // Rows are what SQLite and PostgreSQL text store: a lone surrogate that an older log holds
  // becomes U+FFFD in the fold as in the table, so a rebuild, a snapshot and verify agree.
  keyOf: (event) => event.stream.toWellFormed(),
  keyOfRow: (row) => row.id,
  // The events this projection handles are exactly the session events.
  // The row before is well-formed already (made here, or read from a text column), so only an
  // event with an ill-formed string can make an ill-formed row: look at the event's strings
  // that rows are made of (its stream, time and data; its type is one of `handles`, and the
  // data of DATA_NOT_READ's types is in no row).
  dataNotRead: DATA_NOT_READ,
  evolve: (row, event) => {
    const next = evolve(row, event as ProjectedEvent);
    const { type, stream, time, data } = event;
    const wellFormedEvent =
      stream.isWellFormed() &&
      time.isWellFormed() &&
      (DATA_NOT_READ.has(type) || illFormedPath(data) === undefined);
    return wellFormedEvent ? next : wellFormed(next);
  },
  table: {
    // cwd, hostname, platform, user and started_at are set by SessionStarted and never change
    // (evolve): an update leaves them alone.
    columns: [
      { column: 'id', field: 'id', type: 'text' },
      { column: 'name', field: 'name', type: 'text', nullable: true },
      { column: 'cwd', field: 'cwd', type: 'text', fixed: true },
      { column: 'hostname', field: 'hostname', type: 'text', fixed: true },
      { column: 'platform', field: 'platform', type: 'text', fixed: true },
      { column: 'user', field: 'user', type: 'text', nullable: true, fixed: true },
      { column: 'status', field: 'status', type: 'text' },
      { column: 'summary', field: 'summary', type: 'text', nullable: true },
      { column: 'started_at', field: 'startedAt', type: 'text', fixed: true },
      { column: 'ended_at', field: 'endedAt', type: 'text', nullable: true },
      { column: 'last_activity_at', field: 'lastActivityAt', type: 'text' },
      { column: 'file_changes', field: 'fileChanges', type: 'integer' },
      { column: 'version', field: 'version', type: 'integer' },
      { column: 'deleted_at', field: 'deletedAt', type: 'text', nullable: true },
    ],
    // Sessions not deleted, newest first, optionally of one status.
    list: {
      index: 'by_start',
      omitted: 'deletedAt',
      filter: 'status',
      order: [{ field: 'startedAt', descending: true }, { field: 'id' }],
    },
    // Most recent activity first: the active sessions and the latest ended ones lead.
    page: { index: 'by_activity', order: ['lastActivityAt', 'id'], search: ['name', 'cwd'] },
  },
};
