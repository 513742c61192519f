import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config';
import { durationMs, parseEnvFile } from '../support/config-files';

// The Swarm stack (docker-compose.yml + deploy/swarm/stack.yml, merged by scripts/swarm/deploy.sh
// with `docker compose config`) keeps the promises docs/releases.md makes: health-gated rolling
// updates that start a task before stopping one and roll back by themselves, nginx reaching
// every task through DNS on a host-mode port, and shutdown times that fit. The release test
// (test/e2e/swarm-release.sh) proves the same on a running swarm.

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const host = { cpus: 2, readFile: () => '' };
// docs/performance.md: peak RSS of 16 concurrent 24 MiB uploads on 2 CPUs.
const MEASURED_PEAK_MIB = 337;

type Tree = { [key: string]: unknown };
const RESET = '__reset__';
/** compose-go's `!reset` (drop the key) and `!override` (replace, not merge), as plain YAML. */
const parseCompose = (text: string) =>
  parse(text.replace(/: !reset .*$/gm, `: ${RESET}`).replace(/: !override$/gm, ':')) as Tree;
/** The override on top of the base: maps merge, anything else replaces, RESET removes. */
function merge(base: unknown, over: unknown): unknown {
  if (over === RESET) return undefined;
  if (isTree(base) && isTree(over)) {
    const out: Tree = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const merged = merge(base[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return over;
}
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (tree: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((t, k) => (isTree(t) ? t[k] : undefined), tree);

const compose = parseCompose(read('docker-compose.yml'));
const override = parseCompose(read('deploy/swarm/stack.yml'));
const stack = merge(compose, override) as Tree;
const service = (name: string) => get(stack, 'services', name) as Tree;
const app = service('app');
const nginx = service('nginx');
const ENVIRONMENTS = ['staging', 'production'];

describe('the Swarm stack: releases', () => {
  it('starts a new task before stopping an old one, one at a time, and rolls back by itself', () => {
    expect(get(app, 'deploy', 'update_config')).toMatchObject({
      parallelism: 1,
      order: 'start-first',
      failure_action: 'rollback',
      max_failure_ratio: 0,
    });
    expect(get(app, 'deploy', 'rollback_config')).toMatchObject({
      parallelism: 1,
      order: 'start-first',
    });
  });

  it('gates every task on readiness, and watches a new one long enough to see it turn unhealthy', () => {
    const test = (get(app, 'healthcheck', 'test') as string[]).join(' ');
    expect(test).toContain('/readyz');
    const interval = durationMs(get(app, 'healthcheck', 'interval'));
    const retries = Number(get(app, 'healthcheck', 'retries'));
    expect(durationMs(get(app, 'deploy', 'update_config', 'monitor'))).toBeGreaterThanOrEqual(
      interval * retries,
    );
  });

  it('marks the service and every task with the release, which deploy.sh waits for', () => {
    expect(get(app, 'labels', 'io.image-resizer.release')).toBe('${RELEASE_ID:?RELEASE_ID}');
    expect(get(app, 'deploy', 'labels', 'io.image-resizer.release')).toBe(
      '${RELEASE_ID:?RELEASE_ID}',
    );
  });

  it('drops what Swarm does not do (builds, pull_policy, start order, restart:)', () => {
    for (const key of ['build', 'depends_on', 'restart']) expect(app[key]).toBeUndefined();
    // `docker stack deploy` refuses pull_policy (compose's nginx has one: it is built).
    for (const key of ['build', 'pull_policy', 'depends_on', 'restart']) {
      expect([key, nginx[key]]).toEqual([key, undefined]);
    }
  });

  it("runs the stock nginx image that compose's local nginx build starts from", () => {
    const built = get(compose, 'services', 'nginx', 'build', 'dockerfile_inline') as string;
    expect(nginx.image).toBe('nginx:1.30');
    expect(built).toMatch(/^FROM nginx:1\.30$/m);
  });
});

describe('the Swarm stack: nginx in front, as under compose', () => {
  it('finds every task through DNS: no virtual IPs (they need IPVS), on every service', () => {
    for (const name of Object.keys(get(stack, 'services') as Tree)) {
      expect([name, get(service(name), 'deploy', 'endpoint_mode')]).toEqual([name, 'dnsrr']);
    }
  });

  it('publishes its port in host mode (no routing mesh), one nginx per node', () => {
    expect(nginx.ports).toEqual([
      { target: 8080, published: '${NGINX_PORT:-8080}', protocol: 'tcp', mode: 'host' },
    ]);
    expect(get(nginx, 'deploy', 'mode')).toBe('global');
    // Two nginx cannot hold one host port at once.
    expect(get(nginx, 'deploy', 'update_config', 'order')).toBe('stop-first');
  });

  it('gets the same template from the swarm, not from a checkout on the node', () => {
    expect(nginx.volumes).toBeUndefined();
    expect(nginx.configs).toEqual([
      { source: 'nginx_template', target: '/etc/nginx/templates/default.conf.template' },
    ]);
    expect(get(stack, 'configs', 'nginx_template', 'file')).toBe(
      './nginx/templates/default.conf.template',
    );
    // Same environment as compose's nginx, so the edge invariants hold unchanged, plus the one
    // variable compose gives it from the app config file (env_file), which swarm passes alone.
    expect(get(override, 'services', 'nginx', 'environment')).toEqual({
      CORS_ALLOWED_ORIGINS: '${CORS_ALLOWED_ORIGINS:-}',
    });
    expect(nginx.environment).toEqual({
      ...(get(compose, 'services', 'nginx', 'environment') as object),
      CORS_ALLOWED_ORIGINS: '${CORS_ALLOWED_ORIGINS:-}',
    });
  });
});

describe.each(ENVIRONMENTS)('the Swarm stack with deploy/%s', (environment) => {
  const settings = parseEnvFile(read(`deploy/${environment}/compose.env`));
  const config = loadConfig(parseEnvFile(read(`deploy/${environment}/app.env`)), host);

  it('gives a stopping task more time than the app takes to drain and finish', () => {
    expect(durationMs(app.stop_grace_period)).toBeGreaterThan(config.http.shutdownTimeoutMs);
    expect(config.http.shutdownDrainMs).toBeLessThan(config.http.shutdownTimeoutMs);
  });

  it('runs at least two replicas, so a release always has one serving', () => {
    expect(Number(settings.APP_REPLICAS)).toBeGreaterThanOrEqual(2);
  });

  it('names a stack scripts/swarm/lib.sh accepts', () => {
    expect(settings.COMPOSE_PROJECT_NAME).toMatch(/^[a-z0-9][a-z0-9_-]{0,30}$/);
  });

  it('sizes a replica as measured: 4 jobs, 3 uploads of memory, a limit twice the peak', () => {
    // Loaded as on a 64-CPU node: the pinned values must not follow the node's size.
    const sized = loadConfig(
      {
        ...parseEnvFile(read(`deploy/${environment}/app.env`)),
        ...(app.environment as Record<string, string>),
      },
      { ...host, cpus: 64 },
    );
    expect(sized.jobs.maxConcurrent).toBe(4);
    expect(sized.limits.maxUploadMemoryBytes).toBe(3 * sized.limits.maxUploadBytes);
    const limit = String(get(app, 'deploy', 'resources', 'limits', 'memory'));
    expect(limit).toMatch(/^\d+M$/);
    expect(parseInt(limit, 10)).toBeGreaterThanOrEqual(2 * MEASURED_PEAK_MIB);
    expect(get(app, 'deploy', 'resources', 'limits', 'cpus')).toBeUndefined();
  });
});
