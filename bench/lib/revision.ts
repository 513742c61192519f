import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const git = (args: string[], cwd = root) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/**
 * Another revision of this repository, built: a detached worktree in the temporary folder, with
 * this checkout's node_modules (so compare revisions that share package-lock.json; a change of
 * dependencies needs its own `npm ci`). Built once per commit and reused. Returns its folder,
 * whose `dist/server.js` bench/lib/service.ts runs.
 */
export function buildRevision(revision: string): { dir: string; commit: string } {
  const commit = git(['rev-parse', '--verify', `${revision}^{commit}`]);
  const dir = path.join(tmpdir(), `image-resizer-${commit.slice(0, 12)}`);
  if (!existsSync(path.join(dir, 'dist', 'server.js'))) {
    if (!existsSync(dir)) git(['worktree', 'add', '--detach', dir, commit]);
    if (!existsSync(path.join(dir, 'node_modules'))) {
      symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    }
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit' });
  }
  return { dir, commit };
}
