import { existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isInside,
  isSystemPath,
  systemDirectoryRefusal,
} from '../src/sessions/system-directories.js';
import { useApp } from './support/http-app.js';

interface Created {
  session: { cwd: string };
}

describe('the cwd rules of POST /api/sessions', () => {
  const openApp = useApp();

  describe('400 for what is not an existing directory', () => {
    it('refuses a relative path, a NUL byte and an absurd length before touching the disk', async () => {
      const { send, refused, workDir } = openApp();
      for (const cwd of ['work/dir', '.', `${workDir}\0/etc`, `/${'a'.repeat(4096)}`]) {
        const problem = await refused(400, () => send('POST', '/api/sessions', { cwd }));
        expect(problem.errors?.[0]?.path).toBe('cwd');
      }
    });

    it('refuses a directory that does not exist, and a file', async () => {
      const { send, refused, workDir } = openApp();
      const file = join(workDir, 'notes.txt');
      writeFileSync(file, 'x');
      const missing = await refused(400, () =>
        send('POST', '/api/sessions', { cwd: join(workDir, 'missing') }),
      );
      expect(missing.errors).toEqual([{ path: 'cwd', message: 'does not exist' }]);
      const notDir = await refused(400, () => send('POST', '/api/sessions', { cwd: file }));
      expect(notDir.errors).toEqual([{ path: 'cwd', message: 'is not a directory' }]);
    });

    it('follows a symlink to a directory, and refuses one to a file as a file', async () => {
      const { send, refused, workDir } = openApp();
      const dir = join(workDir, 'real');
      mkdirSync(dir);
      writeFileSync(join(dir, 'notes.txt'), 'x');
      symlinkSync(dir, join(workDir, 'to-dir'));
      symlinkSync(join(dir, 'notes.txt'), join(workDir, 'to-file'));
      for (const cwd of [join(workDir, 'to-dir'), `${join(workDir, 'to-dir')}/`]) {
        const created = await send('POST', '/api/sessions', { cwd });
        expect(created.status).toBe(201);
        expect(((await created.json()) as Created).session.cwd).toBe(realpathSync(dir));
      }
      const problem = await refused(400, () =>
        send('POST', '/api/sessions', { cwd: join(workDir, 'to-file') }),
      );
      expect(problem.errors).toEqual([{ path: 'cwd', message: 'is not a directory' }]);
    });

    it('refuses a symlink pointing nowhere', async () => {
      const { send, refused, workDir } = openApp();
      symlinkSync(join(workDir, 'nowhere'), join(workDir, 'dangling'));
      await refused(400, () => send('POST', '/api/sessions', { cwd: join(workDir, 'dangling') }));
    });
  });

  describe('403 for system directories', () => {
    it('refuses the filesystem root', async () => {
      const { send, refused } = openApp();
      await refused(403, () => send('POST', '/api/sessions', { cwd: '/' }));
    });

    it('refuses /etc and what lies inside system directories', async () => {
      const { send, refused } = openApp();
      for (const cwd of ['/etc', '/usr/bin', '/proc', '/dev', '/var/log'].filter(existsSync)) {
        await refused(403, () => send('POST', '/api/sessions', { cwd }));
      }
    });

    it('refuses /run, /var/lib, and /var, which holds system directories', async () => {
      const { send, refused, workDir } = openApp();
      for (const cwd of ['/', '/run', '/var/lib', '/var'].filter(existsSync)) {
        await refused(403, () => send('POST', '/api/sessions', { cwd }));
      }
      const problem = await refused(403, () => send('POST', '/api/sessions', { cwd: '/var' }));
      expect(problem.detail).toBe('/var contains a system directory (/var/log)');
      // A directory beside them is fine.
      mkdirSync(join(workDir, 'x'));
      expect((await send('POST', '/api/sessions', { cwd: join(workDir, 'x') })).status).toBe(201);
    });

    it('refuses a symlink to /etc: the check runs on the realpath', async () => {
      const { send, refused, workDir } = openApp();
      symlinkSync('/etc', join(workDir, 'innocent'));
      await refused(403, () => send('POST', '/api/sessions', { cwd: join(workDir, 'innocent') }));
    });

    it('refuses a path that climbs to /etc with ..', async () => {
      const { send, refused, workDir } = openApp();
      const climb = `${workDir}${'/..'.repeat(workDir.split('/').length)}/etc`;
      await refused(403, () => send('POST', '/api/sessions', { cwd: climb }));
    });
  });

  it('stores the realpath, not the name the client gave', async () => {
    const { send, workDir } = openApp();
    mkdirSync(join(workDir, 'real'));
    symlinkSync(join(workDir, 'real'), join(workDir, 'link'));
    const response = await send('POST', '/api/sessions', { cwd: join(workDir, 'link', '.') });
    expect(((await response.json()) as Created).session.cwd).toBe(join(workDir, 'real'));
  });

  describe('with --root', () => {
    const rooted = (workDir: string) => ({ roots: [join(workDir, 'a')] });

    it('takes the root itself and what lies inside it', async () => {
      const { send, workDir } = openApp(rooted);
      const root = join(workDir, 'a');
      mkdirSync(join(root, 'project'), { recursive: true });
      for (const cwd of [root, join(root, 'project')]) {
        expect((await send('POST', '/api/sessions', { cwd })).status).toBe(201);
      }
    });

    it('refuses a directory outside every root, even one whose name starts like a root', async () => {
      const { send, refused, workDir } = openApp(rooted);
      mkdirSync(join(workDir, 'a'));
      mkdirSync(join(workDir, 'ab'));
      for (const cwd of [workDir, join(workDir, 'ab')]) {
        const problem = await refused(403, () => send('POST', '/api/sessions', { cwd }));
        expect(problem.detail).toMatch(/outside every --root/);
      }
    });

    it('refuses a symlink inside the root that leads out of it', async () => {
      const { send, refused, workDir } = openApp(rooted);
      mkdirSync(join(workDir, 'a'));
      mkdirSync(join(workDir, 'outside'));
      symlinkSync(join(workDir, 'outside'), join(workDir, 'a', 'escape'));
      await refused(403, () =>
        send('POST', '/api/sessions', { cwd: join(workDir, 'a', 'escape') }),
      );
    });

    it('compares with the realpath of a root given through a symlink', async () => {
      const { send, workDir } = openApp((dir) => ({ roots: [join(dir, 'root-link')] }));
      mkdirSync(join(workDir, 'real-root'));
      symlinkSync(join(workDir, 'real-root'), join(workDir, 'root-link'));
      const response = await send('POST', '/api/sessions', { cwd: join(workDir, 'real-root') });
      expect(response.status).toBe(201);
    });
  });
});

describe('the system directories on each platform', () => {
  it('are matched by whole path segments on POSIX', () => {
    expect(isSystemPath('/etc', 'linux')).toBe(true);
    expect(isSystemPath('/etc/nginx', 'linux')).toBe(true);
    expect(isSystemPath('/lib64/x', 'linux')).toBe(true);
    expect(isSystemPath('/libx32', 'linux')).toBe(true);
    expect(isSystemPath('/private/etc', 'darwin')).toBe(true);
    expect(isSystemPath('/run/user/1000', 'linux')).toBe(true);
    expect(isSystemPath('/var/lib/dpkg', 'linux')).toBe(true);
    expect(isSystemPath('/etcetera', 'linux')).toBe(false);
    expect(isSystemPath('/home/etc', 'linux')).toBe(false);
    expect(isSystemPath('/var/logs', 'linux')).toBe(false);
    expect(isSystemPath('/home/me/lib', 'linux')).toBe(false);
  });

  it('are matched case-insensitively on Windows, on any drive', () => {
    for (const path of [
      'C:\\Windows',
      'c:\\windows\\system32',
      'C:\\Program Files\\App',
      'C:\\PROGRAM FILES (X86)',
      'D:\\ProgramData\\x',
    ]) {
      expect(isSystemPath(path, 'win32'), path).toBe(true);
    }
    expect(isSystemPath('C:\\Users\\me\\Windows', 'win32')).toBe(false);
    expect(isSystemPath('C:\\WindowsApps2', 'win32')).toBe(false);
  });

  it('refuse a directory that holds one, and not one beside them', () => {
    expect(systemDirectoryRefusal('/var', 'linux')).toBe(
      '/var contains a system directory (/var/log)',
    );
    expect(systemDirectoryRefusal('/private', 'darwin')).toMatch(/contains a system directory/);
    expect(systemDirectoryRefusal('/private/var', 'darwin')).toMatch(/contains a system directory/);
    expect(systemDirectoryRefusal('/', 'linux')).toMatch(/filesystem root/);
    expect(systemDirectoryRefusal('C:\\', 'win32')).toMatch(/filesystem root/);
    expect(systemDirectoryRefusal('/var/tmp', 'linux')).toBeUndefined();
    expect(systemDirectoryRefusal('/tmp/x', 'linux')).toBeUndefined();
    expect(systemDirectoryRefusal('/home/me/var', 'linux')).toBeUndefined();
    expect(systemDirectoryRefusal('C:\\Users\\me', 'win32')).toBeUndefined();
  });

  it('say "inside" only for the directory itself or a descendant', () => {
    expect(isInside('/home/a', '/home/a', 'linux')).toBe(true);
    expect(isInside('/home/a/b', '/home/a', 'linux')).toBe(true);
    expect(isInside('/home/ab', '/home/a', 'linux')).toBe(false);
    expect(isInside('/home/A', '/home/a', 'linux')).toBe(false);
    expect(isInside('/anything', '/', 'linux')).toBe(true);
    expect(isInside('C:\\Users\\Me\\x', 'c:\\users\\me', 'win32')).toBe(true);
    expect(isInside('C:\\Users\\Mex', 'c:\\users\\me', 'win32')).toBe(false);
  });
});
