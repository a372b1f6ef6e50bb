import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.js';
import { runCli } from './support/cli.js';
import { useLogFile } from './support/temp-dir.js';

/** Tokens no `Authorization: Bearer` header or `?token=` could carry, and why. */
const UNUSABLE: readonly [string, RegExp][] = [
  ['two words', /a space/],
  ['', /empty/],
  ['tab\there', /U\+0009/],
  ['caf\u00e9', /U\+00E9/],
  ['line\nbreak', /U\+000A/],
];

describe('a token that cannot travel', () => {
  const logFile = useLogFile();

  it('serve refuses it at start, says why, prints no URL and creates no log', async () => {
    for (const [token, why] of UNUSABLE) {
      const { code, output } = await runCli(
        'serve',
        '--db',
        logFile(),
        '--port',
        '0',
        '--token',
        token,
      );
      expect(code, JSON.stringify(token)).toBe(2);
      expect(output).toContain(
        'the token (--token, SESSIONLOG_TOKEN) must be printable ASCII without spaces',
      );
      expect(output).toMatch(why);
      expect(output).not.toContain('http://');
      expect(existsSync(logFile())).toBe(false);
    }
  });

  it('startServer refuses it too, and takes every printable ASCII character', async () => {
    for (const [token, why] of UNUSABLE) {
      await expect(startServer({ token }), JSON.stringify(token)).rejects.toThrow(why);
    }
    const printable = String.fromCharCode(...Array.from({ length: 94 }, (_, i) => 0x21 + i));
    const server = await startServer({ token: printable });
    try {
      expect((await server.fetch('/api/health')).status).toBe(200);
      // The event stream takes it as `?token=`, as EventSource sends it.
      const query = `?token=${encodeURIComponent(printable)}`;
      const stream = await fetch(new URL(`/api/events/stream${query}`, server.url));
      expect(stream.status).toBe(200);
      await stream.body?.cancel();
    } finally {
      await server.close();
    }
  });
});
