import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const git = (args: string[], cwd = root) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/**
 * Another revision of this repository, built: a detached worktree in the temporary folder,
 * using this checkout's node_modules, so only a revision with the same package-lock.json is
 * accepted (another one's figures would mix in other dependencies). Built once per commit and
 * reused; dist/build-info.json, the build's last step, says a build finished. Returns the
 * folder whose `dist/server.js` bench/lib/service.ts runs.
 */
export function buildRevision(revision: string): { dir: string; commit: string } {
  const commit = git(['rev-parse', '--verify', `${revision}^{commit}`]);
  const lockChanged = git(['diff', '--name-only', commit, '--', 'package-lock.json']);
  if (lockChanged) {
    throw new Error(`${revision}: its package-lock.json differs from this checkout's`);
  }
  const dir = path.join(tmpdir(), `image-resizer-${commit.slice(0, 12)}`);
  if (!existsSync(path.join(dir, 'dist', 'build-info.json'))) {
    // A worktree whose folder a cleaner removed is still registered until pruned.
    git(['worktree', 'prune']);
    if (!existsSync(dir)) git(['worktree', 'add', '--detach', dir, commit]);
    if (!existsSync(path.join(dir, 'node_modules'))) {
      symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    }
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit' });
  }
  return { dir, commit };
}
