// Writes dist/build-info.json: which code this build is (version, commit, pipeline, time).
// The commit comes from GIT_COMMIT (CI, docker build args) or git itself, else "unknown".
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function gitRevision() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

const info = {
  version: pkg.version,
  revision: process.env.GIT_COMMIT || process.env.CI_COMMIT_SHA || gitRevision() || 'unknown',
  pipeline: process.env.CI_PIPELINE_ID || undefined,
  builtAt: new Date().toISOString(),
};
writeFileSync(
  new URL('../dist/build-info.json', import.meta.url),
  `${JSON.stringify(info, null, 2)}\n`,
);
console.log(`build-info: ${info.version} ${info.revision}`);
