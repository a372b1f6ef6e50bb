import { type ReadonlySignal, useModel } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import type { Api } from '../api/client.js';
import { SessionModel } from '../models/session-model.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { absoluteTime, STATUS_LABELS, sessionTitle } from './format.js';
import { RelativeTime } from './relative-time.js';
import { SessionActions } from './session-actions.js';
import { StatusDot } from './status-dot.js';
import { Timeline } from './timeline.js';

interface SessionViewProps {
  api: Api;
  engine: SyncEngine;
  id: string;
  now: ReadonlySignal<number>;
  deleted(): void;
}

/** One session: its fields, the commands on it, and its events as they happen. */
export function SessionView({ api, engine, id, now, deleted }: SessionViewProps) {
  const model = useModel(() => new SessionModel({ api, engine, id, deleted }));
  const session = model.session.value;
  // Seen here, then gone: deleted (here or elsewhere), rather than never there.
  const wasSeen = useRef(false);
  if (session !== undefined) wasSeen.current = true;

  if (session === undefined) {
    // Not in the sidebar's view (an old session opened by its address): read on its own.
    const loading = engine.epoch.value === 0 || model.exists.value === undefined;
    return (
      <section class="view" aria-labelledby="view-heading">
        <header class="view-header">
          <h1 id="view-heading" tabIndex={-1}>
            {loading ? 'Loading…' : wasSeen.current ? 'Session deleted' : 'No such session'}
          </h1>
          {!loading && (
            <p class="lede">
              {wasSeen.current
                ? 'This session was deleted. Its history stays in the audit log.'
                : 'This log has no session with this id: it was deleted, or it belongs to another log.'}{' '}
              <a href="#/">Back to the sessions</a>
            </p>
          )}
        </header>
      </section>
    );
  }

  const ended = session.status === 'completed' || session.status === 'failed';
  return (
    <section class="view" aria-labelledby="view-heading">
      <header class="view-header">
        <div class="title-row">
          <h1 id="view-heading" tabIndex={-1}>
            {sessionTitle(session)}
          </h1>
          <StatusDot status={session.status} label="visible" />
        </div>
        <p class="lede mono" title={session.cwd}>
          {session.cwd}
        </p>
      </header>

      <SessionActions model={model} session={session} ended={ended} />

      <dl class="fields">
        <Field term="Status">{STATUS_LABELS[session.status]}</Field>
        <Field term="Started">
          <RelativeTime iso={session.startedAt} now={now} />
          <span class="muted small block">{absoluteTime(session.startedAt)}</span>
        </Field>
        <Field term="Last activity">
          <RelativeTime iso={session.lastActivityAt} now={now} />
        </Field>
        {session.endedAt !== null && (
          <Field term="Ended">
            <RelativeTime iso={session.endedAt} now={now} />
            <span class="muted small block">{absoluteTime(session.endedAt)}</span>
          </Field>
        )}
        <Field term="File changes">{session.fileChanges}</Field>
        <Field term="Host">
          {session.hostname} <span class="muted">({session.platform})</span>
        </Field>
        {session.user !== null && <Field term="User">{session.user}</Field>}
        <Field term="Version">{session.version}</Field>
        <Field term="Id" wide>
          <code>{session.id}</code>
        </Field>
        {session.summary !== null && (
          <Field term="Summary" wide>
            {session.summary}
          </Field>
        )}
      </dl>

      <Timeline model={model} now={now} />
    </section>
  );
}

function Field({
  term,
  wide = false,
  children,
}: {
  term: string;
  wide?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class={wide ? 'field-pair field-wide' : 'field-pair'}>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
