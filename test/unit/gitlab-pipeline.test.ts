import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

// What the pipeline promises on real GitLab and the local run cannot show (docs/pipeline.md):
// checked on the files. The jobs themselves run in CI through `npm run pipeline:local`.

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
type Job = {
  needs?: string[];
  services?: unknown[];
  variables?: Record<string, string>;
  image?: string;
  extends?: string | string[];
};
// GitLab's custom tags (!reference) would be unknown to the parser: read as plain values.
const ci = parse(read('.gitlab-ci.yml'), { logLevel: 'silent' }) as Record<string, Job> & {
  variables: Record<string, string>;
};

describe('.gitlab-ci.yml on GitLab', () => {
  it('pins every image it names to a version', () => {
    for (const name of ['NODE_IMAGE', 'DOCKER_IMAGE', 'DIND_IMAGE', 'GLAB_IMAGE']) {
      expect([name, ci.variables[name]]).toEqual([name, expect.stringMatching(/:v?\d+\.\d+\.\d+/)]);
    }
  });

  it('releases with glab, not the deprecated release-cli', () => {
    expect(ci['gitlab-release']?.image).toBe('$GLAB_IMAGE');
    expect(read('.gitlab-ci.yml')).not.toMatch(/release-cli:/);
  });

  it('production deploys only what promote tagged', () => {
    expect(ci['deploy-production']?.needs).toContain('promote');
  });

  it('deploys and rollbacks have no Docker-in-Docker: their target is a persistent host', () => {
    expect(ci['.deploy']?.services).toEqual([]);
    expect(ci['.rollback']?.services).toEqual([]);
  });

  it('container tests reach the stack where DinD publishes it, not on the job loopback', () => {
    expect(ci['container-test']?.variables?.E2E_HOST).toBe('docker');
  });

  it('the release is built on the pinned base, and a tag rebuilds nothing', () => {
    const script = read('scripts/ci/release-image.sh');
    expect(script).toContain('--build-arg NODE_IMAGE="$NODE_IMAGE"');
    expect(script).toMatch(
      /if \[ -n "\$\{CI_COMMIT_TAG:-\}" \]; then[\s\S]*imagetools inspect[\s\S]*else[\s\S]*docker build/,
    );
  });
});

describe('scripts/ci/deploy-target.sh', () => {
  const run = (env: Record<string, string>) => {
    const r = spawnSync('bash', ['-c', '. scripts/ci/deploy-target.sh && env'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: mkdtempSync(path.join(tmpdir(), 'deploy-target-home-')),
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: '/certs/client',
        ...env,
      },
      encoding: 'utf8',
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('refuses to deploy without a named target, instead of falling back to the job engine', () => {
    const r = run({ DEPLOY_URL: 'https://staging.example.com' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/DEPLOY_DOCKER_HOST is not set/);
  });

  it('refuses a TCP target without TLS credentials', () => {
    const r = run({ DEPLOY_DOCKER_HOST: 'tcp://m:2376', DEPLOY_URL: 'https://s.example.com' });
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/DEPLOY_DOCKER_TLS_CA/)]);
  });

  it("refuses the job's loopback as the URL of a remote environment", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'deploy-target-'));
    const file = (name: string) => (writeFileSync(path.join(dir, name), 'x'), path.join(dir, name));
    const ssh = {
      DEPLOY_DOCKER_HOST: 'ssh://deploy@manager',
      DEPLOY_SSH_KEY: file('key'),
      DEPLOY_SSH_KNOWN_HOSTS: file('known_hosts'),
      HOME: dir,
    };
    const local = run({ ...ssh, DEPLOY_URL: 'http://127.0.0.1:8081' });
    expect([local.code, local.err]).toEqual([1, expect.stringMatching(/the job's own loopback/)]);
    expect(run({ ...ssh, DEPLOY_URL: 'https://staging.example.com' }).code).toBe(0);
    // A runner on the target itself: its loopback is the environment's.
    const onTarget = run({
      DEPLOY_DOCKER_HOST: 'unix:///var/run/docker.sock',
      DEPLOY_URL: 'http://127.0.0.1:8081',
    });
    expect(onTarget.code).toBe(0);
  });

  it("drops DinD's TLS settings and points docker at the target", () => {
    const r = run({ DEPLOY_DOCKER_HOST: 'unix:///run/d.sock', DEPLOY_URL: 'http://127.0.0.1:1' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^DOCKER_HOST=unix:\/\/\/run\/d\.sock$/m);
    expect(r.out).not.toMatch(/^DOCKER_TLS_VERIFY=/m);
    expect(r.out).not.toMatch(/^DOCKER_CERT_PATH=/m);
  });
});

describe('the job image', () => {
  const jobImage = '$CI_REGISTRY_IMAGE/job-image:$JOB_IMAGE_TAG';
  const jobs = Object.entries(ci).filter(
    ([name]) => !['variables', 'workflow', 'stages', 'default'].includes(name),
  );
  const imageOf = (job: Job): string | undefined => {
    if (job.image) return job.image;
    const parents = job.extends === undefined ? [] : [job.extends].flat();
    return parents
      .map((p) => ci[p])
      .map((p) => (p ? imageOf(p) : undefined))
      .find(Boolean);
  };

  it('is tagged with the hash of its Dockerfile and NODE_IMAGE', () => {
    const expected = createHash('sha256')
      .update(read('scripts/ci/job-image/Dockerfile'))
      .update(`\n${ci.variables.NODE_IMAGE}`)
      .digest('hex')
      .slice(0, 12);
    // On a mismatch: set JOB_IMAGE_TAG in .gitlab-ci.yml to the expected value.
    expect({ JOB_IMAGE_TAG: ci.variables.JOB_IMAGE_TAG }).toEqual({ JOB_IMAGE_TAG: expected });
  });

  it('is what every Docker job, the tests and the deploys run in; nothing is installed at run time', () => {
    for (const name of [
      'test',
      'release-image',
      'container-test',
      'promote',
      'deploy-staging',
      'deploy-production',
      'rollback-staging',
      'rollback-production',
    ]) {
      expect([name, imageOf(ci[name] as Job)]).toEqual([name, jobImage]);
    }
    expect(read('.gitlab-ci.yml')).not.toMatch(/apk add|apt-get install/);
  });

  it('is built before any job that runs in it starts (needs, followed through)', () => {
    const needsOf = (job: Job | undefined): string[] => {
      if (!job) return [];
      if (job.needs) return job.needs;
      const parents = job.extends === undefined ? [] : [job.extends].flat();
      return parents.flatMap((p) => needsOf(ci[p]));
    };
    const upstream = (name: string): string[] =>
      needsOf(ci[name]).flatMap((n) => [n, ...upstream(n)]);
    for (const [name, job] of jobs) {
      if (name.startsWith('.') || imageOf(job) !== jobImage) continue;
      expect([name, upstream(name)]).toEqual([name, expect.arrayContaining(['job-image'])]);
    }
  });
});
