import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  // A native package ships one optional package per platform; `npm ci` installs only what the
  // lockfile lists, so one missing there is a service that cannot start on that platform (a
  // Mac, arm64). @napi-rs/blake-hash 1.3.6 was published with linux-x64 binaries only.
  it('locks every optional dependency a locked package declares', () => {
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const missing = Object.entries(lock.packages).flatMap(([at, pkg]) =>
      Object.keys(pkg.optionalDependencies ?? {})
        .filter(
          (name) =>
            ![`${at}/node_modules/${name}`, `node_modules/${name}`].some((k) => k in lock.packages),
        )
        .map((name) => `${at || 'the project'} -> ${name}`),
    );
    expect(missing).toEqual([]);
  });
});
