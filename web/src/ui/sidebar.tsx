import { type ReadonlySignal, useModel } from '@preact/signals';
import type { Session } from '../../../src/sessions/session.js';
import { RECENT_COUNT, SidebarModel } from '../models/sidebar-model.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { STATUS_LABELS, sessionTitle } from './format.js';
import { RelativeTime } from './relative-time.js';
import { StatusDot } from './status-dot.js';

interface SidebarProps {
  engine: SyncEngine;
  now: ReadonlySignal<number>;
  selected: string | undefined;
}

/** Active sessions and the newest ended ones, always in view. */
export function Sidebar({ engine, now, selected }: SidebarProps) {
  const model = useModel(() => new SidebarModel(engine));
  const loaded = engine.epoch.value > 0;
  const active = model.active.value;
  const recent = model.recent.value;
  return (
    <nav class="sidebar" aria-label="Sessions">
      <a class="button button-primary new-session" href="#/new">
        New session
      </a>
      <section aria-labelledby="active-heading">
        <h2 id="active-heading" class="list-heading">
          Active <span class="count">{active.length}</span>
        </h2>
        {!loaded ? (
          <p class="empty">Loading sessions…</p>
        ) : active.length === 0 ? (
          <p class="empty">
            No session is running. Start one with <strong>New session</strong>, or from any tool
            with <code>POST /api/sessions</code>.
          </p>
        ) : (
          <SessionList sessions={active} now={now} selected={selected} when="active" />
        )}
      </section>
      <section aria-labelledby="recent-heading">
        <h2 id="recent-heading" class="list-heading">
          Recent{' '}
          <span class="count">
            {model.endedCount.value > RECENT_COUNT
              ? `${recent.length} of ${model.endedCount.value}`
              : recent.length}
          </span>
        </h2>
        {loaded && recent.length === 0 ? (
          <p class="empty">Ended sessions will show here.</p>
        ) : (
          <SessionList sessions={recent} now={now} selected={selected} when="ended" />
        )}
      </section>
    </nav>
  );
}

function SessionList({
  sessions,
  now,
  selected,
  when,
}: {
  sessions: readonly Session[];
  now: ReadonlySignal<number>;
  selected: string | undefined;
  when: 'active' | 'ended';
}) {
  return (
    <ul class="session-list">
      {sessions.map((session) => (
        <li key={session.id}>
          <a
            class="session-row"
            href={`#/sessions/${encodeURIComponent(session.id)}`}
            aria-current={session.id === selected ? 'page' : undefined}
            data-session={session.id}
          >
            <StatusDot status={session.status} label="none" />
            <span class="session-name">{sessionTitle(session)}</span>
            <span class="session-when">
              <RelativeTime
                iso={
                  when === 'ended'
                    ? (session.endedAt ?? session.lastActivityAt)
                    : session.lastActivityAt
                }
                now={now}
              />
            </span>
            <span class="session-meta" title={session.cwd}>
              <span class="session-status">{STATUS_LABELS[session.status]}</span>
              <span aria-hidden="true"> · </span>
              <span class="session-cwd">{session.cwd}</span>
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}
