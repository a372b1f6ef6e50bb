import { setTimeout as sleep } from 'node:timers/promises';

export interface PostedSessions {
  /** Each created session's id and the wall-clock time its POST was sent. */
  sent: [string, number][];
  /** POSTs that did not answer 201. */
  failed: number;
  /** Creations per second actually sent. */
  rate: number;
  /** How late the latest POST left against its schedule: a lagging generator says so here. */
  maxLagMs: number;
}

/**
 * POSTs `/api/sessions` at a steady `perSecond` for `ms`, open loop: each POST leaves on its
 * schedule whether or not earlier ones were answered, as independent users would send them
 * (a closed loop would slow down with the server and hide its latency). The send time is
 * read from performance.timeOrigin + now(), the clock the client processes read too.
 */
export async function postSessionsAtRate(
  url: string,
  body: string,
  perSecond: number,
  ms: number,
): Promise<PostedSessions> {
  const count = Math.round((perSecond * ms) / 1000);
  const interval = 1000 / perSecond;
  const sent: [string, number][] = [];
  const answers: Promise<void>[] = [];
  let failed = 0;
  let maxLagMs = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    // The schedule is anchored at the start, so a late timer is made up for by the next.
    if (wait >= 1) await sleep(wait);
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    const sentAt = performance.timeOrigin + performance.now();
    answers.push(
      createSession(url, body).then(
        (id) => {
          if (id === undefined) failed++;
          else sent.push([id, sentAt]);
        },
        () => {
          failed++;
        },
      ),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(answers);
  return { sent, failed, rate: count / seconds, maxLagMs };
}

/** The new session's id, or undefined when the server did not answer 201. */
async function createSession(url: string, body: string): Promise<string | undefined> {
  const response = await fetch(`${url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (response.status !== 201) {
    await response.body?.cancel();
    return undefined;
  }
  const answer = (await response.json()) as { session: { id: string } };
  return answer.session.id;
}
