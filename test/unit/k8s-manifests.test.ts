import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/config';
import { ROUTES } from '../../src/http/route-label';
import { parseEnvFile } from '../support/config-files';

// The Kubernetes manifests (deploy/k8s), rendered as the pipeline renders them (kubectl
// kustomize, through scripts/k8s/render.sh with a digest), validated against the API's schemas
// (scripts/k8s/validate.mjs, kubernetes-models), and checked against the app and the other
// deploys: no cluster runs here, so these are what keeps the manifests true.

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const host = { cpus: 2, readFile: () => '' };
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const IMAGE = `registry.invalid/image-resizer@${DIGEST}`;
const ENVIRONMENTS = ['staging', 'production'] as const;
// Variables the AWS SDK reads (credentials), which the service's schema leaves to it.
const AWS_SDK_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
// docs/performance.md: peak RSS of 16 concurrent 24 MiB uploads, 4 jobs, a 75 MiB budget.
const MEASURED_PEAK_MIB = 337;

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = kubectl.status === 0;
if (!haveKubectl && process.env.REQUIRE_KUBECTL === '1') {
  throw new Error('REQUIRE_KUBECTL=1 but kubectl is not on PATH');
}
// Without kubectl (e.g. the pipeline's Node image) nothing can be rendered: said, not hidden.
const describeRendered = haveKubectl ? describe : describe.skip;
if (!haveKubectl) console.warn('k8s-manifests: kubectl not found, rendering tests SKIPPED');

// ---- minimal shapes of what is read ----------------------------------------------------------
type Labels = Record<string, string>;
interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}
interface PodSpec {
  containers: Container[];
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: Labels | { matchLabels: Labels };
    podSelector?: { matchLabels?: Labels };
    strategy?: { type: string; rollingUpdate?: { maxUnavailable?: number; maxSurge?: number } };
    template?: { metadata: { labels: Labels }; spec: PodSpec };
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    ports?: { port: number; targetPort: string | number }[];
    clusterIP?: string;
    ingress?: { from?: { podSelector?: { matchLabels?: Labels } }[] }[];
    egress?: { to?: { podSelector?: { matchLabels?: Labels } }[]; ports?: unknown[] }[];
  };
}

function render(environment: string): { text: string; objects: K8sObject[] } {
  const out = spawnSync('bash', ['scripts/k8s/render.sh', environment, IMAGE], {
    cwd: root,
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`render ${environment}: ${out.stderr}`);
  const objects = parseAllDocuments(out.stdout).map((d) => d.toJS() as K8sObject);
  return { text: out.stdout, objects };
}

const matches = (selector: Labels | undefined, labels: Labels) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const mib = (quantity: string | undefined) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity ?? '');
  if (!m) throw new Error(`not a Mi/Gi quantity: ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};
const nginxSeconds = (value: string) => {
  const m = /^(\d+)s$/.exec(value);
  if (!m) throw new Error(`not an nginx time in seconds: ${value}`);
  return Number(m[1]);
};
const preStopSeconds = (c: Container) => {
  const command = c.lifecycle?.preStop?.exec?.command ?? [];
  expect(command[0]).toBe('sleep');
  return Number(command[1]);
};

describe('the nginx config in the cluster is the compose/Swarm one', () => {
  it('differs from nginx/templates/default.conf.template in the resolver and upstream host only', () => {
    const canonical = read('nginx/templates/default.conf.template');
    const copy = read('deploy/k8s/base/nginx/default.conf.template')
      .split('\n')
      .filter((line) => !line.startsWith('# k8s: '))
      .join('\n');
    const expected = canonical
      .replace(/^resolver 127\.0\.0\.11 /m, 'resolver ${NGINX_RESOLVER} ')
      .replace(/^( +server )app:3000 /m, '$1${NGINX_UPSTREAM_HOST}:3000 ');
    expect(expected).not.toBe(canonical); // both lines were found and replaced
    expect(copy).toBe(expected);
  });
});

describe('the schema check can fail', () => {
  it('scripts/k8s/validate.mjs rejects an object that breaks its schema', () => {
    const bad = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: x}',
      'spec: {replicas: two, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}',
    ].join('\n');
    const out = spawnSync('node', ['scripts/k8s/validate.mjs'], {
      cwd: root,
      input: bad,
      encoding: 'utf8',
    });
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/^INVALID apps\/v1\/Deployment x: .*replicas/m);
  });
});

describeRendered.each(ENVIRONMENTS)('deploy/k8s/overlays/%s', (environment) => {
  // jest runs a skipped describe's body too: render nothing without kubectl.
  if (!haveKubectl) {
    it('renders with kubectl kustomize', () => undefined);
    return;
  }
  const { text, objects } = render(environment);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const one = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };
  const app = one('Deployment', 'image-resizer');
  const edge = one('Deployment', 'image-resizer-edge');
  const appPod = app.spec!.template!;
  const appContainer = appPod.spec.containers[0]!;
  const edgeContainer = edge.spec!.template!.spec.containers[0]!;
  const configMap = of('ConfigMap').find((c) =>
    c.metadata.name.startsWith('image-resizer-config-'),
  )!;
  const appEnv: Record<string, string> = { ...configMap.data };
  for (const e of appContainer.env ?? []) if (e.value !== undefined) appEnv[e.name] = e.value;
  const config = loadConfig(appEnv, host);

  it('every object is valid against the Kubernetes schemas (kubernetes-models)', () => {
    const out = spawnSync('node', ['scripts/k8s/validate.mjs'], {
      cwd: root,
      input: text,
      encoding: 'utf8',
    });
    expect(out.stdout.split('\n').filter((l) => l && !l.startsWith('valid '))).toEqual([]);
    expect(out.status).toBe(0);
    expect(out.stdout.match(/^valid /gm)).toHaveLength(objects.length);
  });

  it('has every object a careful team expects, all in the environment namespace', () => {
    const kinds = objects.map((o) => o.kind).sort();
    for (const kind of [
      'Namespace',
      'ConfigMap',
      'Service',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'NetworkPolicy',
    ]) {
      expect(kinds).toContain(kind);
    }
    for (const o of objects.filter((o) => o.kind !== 'Namespace')) {
      expect(o.metadata.namespace).toBe(`image-resizer-${environment}`);
    }
  });

  it('sets the image by digest, never by tag', () => {
    expect(appContainer.image).toBe(IMAGE);
  });

  it('commits no secret: credentials are references to a Secret made out of band', () => {
    expect(of('Secret')).toEqual([]);
    const credentials = (appContainer.env ?? []).filter((e) => AWS_SDK_VARIABLES.includes(e.name));
    expect(credentials.map((e) => e.name).sort()).toEqual([...AWS_SDK_VARIABLES].sort());
    for (const e of credentials) {
      expect(e.value).toBeUndefined();
      expect(e.valueFrom?.secretKeyRef?.name).toBe('image-resizer-s3');
    }
  });

  it("its config is deploy/<environment>/app.env (compose's and Swarm's) with the cluster's S3 only", () => {
    const file = parseEnvFile(read(`deploy/${environment}/app.env`));
    const s3 = parseEnvFile(read(`deploy/k8s/overlays/${environment}/s3.env`));
    expect(Object.keys(s3).every((k) => k.startsWith('S3_'))).toBe(true);
    expect(configMap.data).toEqual({ ...file, ...s3 });
    expect(appContainer.envFrom?.[0]?.configMapRef?.name).toBe(configMap.metadata.name);
  });

  it('sets only variables the config schema knows (or the AWS SDK reads), and they load', () => {
    const names = [
      ...Object.keys(configMap.data ?? {}),
      ...(appContainer.env ?? []).map((e) => e.name),
    ];
    const unknown = names.filter(
      (n) => !CONFIG_VARIABLES.includes(n) && !AWS_SDK_VARIABLES.includes(n),
    );
    expect(unknown).toEqual([]);
    expect(config.http.port).toBeGreaterThan(0);
  });

  it("probes the app's own paths on the port it listens on", () => {
    const http = appContainer.ports?.find((p) => p.name === 'http');
    expect(http?.containerPort).toBe(config.http.port);
    expect(appContainer.readinessProbe?.httpGet).toEqual({ path: ROUTES.readyz, port: 'http' });
    expect(appContainer.livenessProbe?.httpGet).toEqual({ path: ROUTES.healthz, port: 'http' });
    expect(appContainer.startupProbe?.httpGet).toEqual({ path: ROUTES.healthz, port: 'http' });
  });

  it('releases without losing capacity: a rolling update that never removes a pod first', () => {
    expect(app.spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(edge.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    // The autoscaler owns the count: a `replicas` in the manifest would fight it on every apply.
    expect(app.spec?.replicas).toBeUndefined();
  });

  it('gives a stopping pod the time it needs: preStop, then the app drains within the grace period', () => {
    const preStop = preStopSeconds(appContainer);
    // Endpoint removal and nginx's DNS (valid=2s) must see the pod gone before it stops accepting.
    expect(preStop).toBeGreaterThanOrEqual(3);
    expect(config.http.shutdownDrainMs).toBeLessThan(config.http.shutdownTimeoutMs);
    expect(appPod.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      preStop + config.http.shutdownTimeoutMs / 1000,
    );
  });

  it('keeps the edge invariants of docker-compose.yml (issue "overload through nginx")', () => {
    const env = Object.fromEntries((edgeContainer.env ?? []).map((e) => [e.name, e.value]));
    const compose = read('docker-compose.yml');
    for (const name of ['NGINX_PROXY_TIMEOUT', 'NGINX_CLIENT_MAX_BODY_SIZE']) {
      expect(env[name]).toBe(new RegExp(`${name}: (\\S+)`).exec(compose)?.[1]);
    }
    const proxyTimeout = nginxSeconds(env.NGINX_PROXY_TIMEOUT ?? '');
    expect(proxyTimeout * 1000).toBeGreaterThanOrEqual(config.jobs.requestDeadlineMs + 5000);
    // nginx's graceful stop waits for the requests it proxies, which end by the proxy timeout.
    expect(edge.spec?.template?.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      preStopSeconds(edgeContainer) + proxyTimeout,
    );
    expect(env.NGINX_UPSTREAM_HOST).toBe(
      'image-resizer-headless.$(POD_NAMESPACE).svc.cluster.local',
    );
    const headless = one('Service', 'image-resizer-headless');
    expect(headless.spec?.clusterIP).toBe('None');
    expect(headless.spec?.ports?.[0]?.port).toBe(config.http.port);
  });

  it('sizes the pod from the measured memory bound, for the settings it runs with', () => {
    // The measurement was made with 4 jobs and a budget of 3 uploads: the pod runs those.
    expect(config.jobs.maxConcurrent).toBe(4);
    expect(config.limits.maxUploadMemoryBytes).toBe(3 * config.limits.maxUploadBytes);
    const resources = appContainer.resources;
    expect(mib(resources?.requests?.memory)).toBeGreaterThanOrEqual(MEASURED_PEAK_MIB);
    expect(mib(resources?.limits?.memory)).toBeGreaterThanOrEqual(2 * MEASURED_PEAK_MIB);
    expect(resources?.requests?.cpu).toBe('2');
    expect(resources?.limits?.cpu).toBeUndefined();
  });

  it('runs every container non-root, read-only, without capabilities, seccomp RuntimeDefault, no token', () => {
    for (const d of of('Deployment')) {
      const pod = d.spec!.template!.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext?.capabilities?.add).toBeUndefined();
        expect(c.resources?.limits?.memory).toBeDefined();
      }
    }
  });

  it('selectors of Services, PDBs, the HPA and NetworkPolicies select the pods they mean', () => {
    const appLabels = appPod.metadata.labels;
    const edgeLabels = edge.spec!.template!.metadata.labels;
    for (const d of of('Deployment')) {
      const selector = d.spec?.selector as { matchLabels: Labels };
      expect(matches(selector.matchLabels, d.spec!.template!.metadata.labels)).toBe(true);
    }
    expect(matches(one('Service', 'image-resizer').spec?.selector as Labels, appLabels)).toBe(true);
    expect(
      matches(one('Service', 'image-resizer-headless').spec?.selector as Labels, appLabels),
    ).toBe(true);
    expect(matches(one('Service', 'image-resizer-edge').spec?.selector as Labels, edgeLabels)).toBe(
      true,
    );
    expect(matches(one('Service', 'image-resizer-edge').spec?.selector as Labels, appLabels)).toBe(
      false,
    );
    const pdbSelector = (name: string) =>
      (one('PodDisruptionBudget', name).spec?.selector as { matchLabels: Labels }).matchLabels;
    expect(matches(pdbSelector('image-resizer'), appLabels)).toBe(true);
    expect(matches(pdbSelector('image-resizer-edge'), edgeLabels)).toBe(true);
    const hpa = one('HorizontalPodAutoscaler', 'image-resizer');
    expect(hpa.spec?.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'image-resizer' });
    const appPolicy = one('NetworkPolicy', 'image-resizer-app');
    const edgePolicy = one('NetworkPolicy', 'image-resizer-edge');
    expect(matches(appPolicy.spec?.podSelector?.matchLabels, appLabels)).toBe(true);
    expect(matches(edgePolicy.spec?.podSelector?.matchLabels, edgeLabels)).toBe(true);
    // The app admits nginx; nginx may reach the app.
    const admitted = appPolicy.spec?.ingress?.[0]?.from?.[0]?.podSelector?.matchLabels;
    expect(matches(admitted, edgeLabels)).toBe(true);
    const reached = edgePolicy.spec?.egress?.[0]?.to?.[0]?.podSelector?.matchLabels;
    expect(matches(reached, appLabels)).toBe(true);
  });

  it('keeps as many replicas at least as the compose and Swarm deploys run', () => {
    const replicas = Number(parseEnvFile(read(`deploy/${environment}/compose.env`)).APP_REPLICAS);
    const hpa = one('HorizontalPodAutoscaler', 'image-resizer');
    expect(hpa.spec?.minReplicas).toBe(replicas);
    expect(hpa.spec?.maxReplicas).toBeGreaterThan(replicas);
  });
});
