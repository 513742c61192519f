import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });

// Only a git checkout with git installed can answer (CI's slim Node image may lack git).
const inCheckout = git('rev-parse', '--is-inside-work-tree').stdout?.trim() === 'true';
const itInCheckout = inCheckout ? it : it.skip;

describe('repository hygiene', () => {
  // scripts/ci/release-image.sh writes it on every (local) pipeline run: output, not source.
  itInCheckout('does not track release.env, and ignores it', () => {
    const tracked = git('ls-files', '--', 'release.env');
    expect([tracked.status, tracked.stdout.trim()]).toEqual([0, '']);
    expect(git('check-ignore', '-q', '--', 'release.env').status).toBe(0);
  });
});
