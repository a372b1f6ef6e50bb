import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** Runs an ES module in a plain Node process from the package root (no vitest, no tsx). */
async function node(source: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '--eval', source],
    { timeout: 20_000 },
  );
  return stdout.trim();
}

interface PackageJson {
  name: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string } | string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

describe('the published entry points', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;

  it('point at built files, with types, and keep the CLI', () => {
    expect(existsSync('dist/testing/index.js'), 'dist/ is built by `npm test`').toBe(true);
    for (const entry of ['./testing', './testing/vitest']) {
      const target = pkg.exports[entry];
      expect(target, entry).toMatchObject({
        types: expect.any(String),
        default: expect.any(String),
      });
      if (typeof target === 'object') {
        expect(existsSync(target.types), target.types).toBe(true);
        expect(existsSync(target.default), target.default).toBe(true);
      }
    }
    expect(existsSync(pkg.bin.sessionlog as string)).toBe(true);
    // vitest only for the matchers entry, and optional.
    expect(pkg.peerDependencies.vitest).toBeDefined();
    expect(pkg.peerDependenciesMeta.vitest?.optional).toBe(true);
  });

  it('`sessionlog/testing` works from the built output in plain Node, without vitest', async () => {
    const output = await node(`
      import { startServer, subscribe, given, NotFoundError } from '${pkg.name}/testing';
      const server = await startServer();
      const stream = await subscribe(server.url, { after: 0 });
      const response = await server.fetch('/api/sessions', {
        method: 'POST',
        body: JSON.stringify({ cwd: process.cwd(), name: 'from node' }),
      });
      await stream.waitFor(1);
      await stream.close();
      await server.close();
      given([]).when({ type: 'endSession', data: { status: 'failed' } }).then(NotFoundError);
      const resolved = import.meta.resolve('${pkg.name}/testing');
      console.log(JSON.stringify({ status: response.status, type: stream.events[0].type, resolved }));
    `);
    expect(JSON.parse(output)).toEqual({
      status: 201,
      type: 'SessionStarted',
      resolved: expect.stringMatching(/\/dist\/testing\/index\.js$/),
    });
  });

  it('exports nothing else: the server is a CLI, not a library', async () => {
    await expect(node(`await import('${pkg.name}');`)).rejects.toThrow(
      /ERR_PACKAGE_PATH_NOT_EXPORTED/,
    );
    await expect(node(`await import('${pkg.name}/dist/server.js');`)).rejects.toThrow(
      /ERR_PACKAGE_PATH_NOT_EXPORTED/,
    );
  });
});
