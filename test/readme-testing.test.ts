import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  given,
  NotFoundError,
  type SessionEvent,
  startServer,
  subscribe,
  type TestServer,
} from 'sessionlog/testing';
import 'sessionlog/testing/vitest'; // toContainEvents, toEqualEvents
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('a client of sessionlog, against a throwaway server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(); // in-memory log, free port
  });
  afterAll(() => server.close());

  it('sees a session start and end on the event stream', async () => {
    const stream = await subscribe(server.url, { after: 0 });
    const cwd = realpathSync(tmpdir());
    const created = await server.fetch('/api/sessions', {
      method: 'POST',
      body: JSON.stringify({ cwd, name: 'demo' }),
    });
    const { session } = (await created.json()) as { session: { id: string } };
    await server.fetch(`/api/sessions/${session.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ status: 'completed' }),
    });

    await stream.waitFor((events) => events.some((e) => e.type === 'SessionEnded'));
    expect(stream).toContainEvents([
      { type: 'SessionStarted', stream: session.id, data: { name: 'demo' } },
      { type: 'SessionEnded', data: { status: 'completed' } },
    ]);
    await stream.close();
  });
});

describe('the session rules', () => {
  const started: SessionEvent = {
    type: 'SessionStarted',
    data: { cwd: '/work', hostname: 'box', platform: 'linux' },
  };

  it('ends a session that is running', () => {
    given([started])
      .when({ type: 'endSession', data: { status: 'completed' } })
      .then([{ type: 'SessionEnded', data: { status: 'completed' } }]);
  });

  it('refuses to end a session that does not exist', () => {
    given([])
      .when({ type: 'endSession', data: { status: 'failed' } })
      .then(NotFoundError);
  });
});
