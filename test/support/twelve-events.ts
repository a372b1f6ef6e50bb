import type { SessionCommands } from '../../src/sessions/session-commands.js';

/**
 * Twelve events over four sessions (start, rename, and the ends last, under idempotency
 * keys): what the verify suites tamper with. Returns the sessions' ids.
 */
export async function writeTwelveEvents(commands: SessionCommands): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const { session } = await commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
    ids.push(session.id);
    await commands.update(session.id, { name: `s${i}` });
  }
  for (const [i, id] of ids.entries()) {
    await commands.end(id, { status: 'completed' }, { idempotencyKey: `end-${i}` });
  }
  return ids;
}
