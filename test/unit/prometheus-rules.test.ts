import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { errorCodes } from '../../src/errors/app-error';
import { ROUTE_PATHS } from '../../src/http/route-label';
import { render, ruleFiles } from '../../scripts/monitoring/k8s-monitoring';
import { jpeg } from '../support/images';
import { buildTestApp, inMemory } from '../support/test-app';

// The monitoring rules (deploy/prometheus/rules) are checked against the service itself: every
// metric and label they name is one a real /metrics exports, every alert has a runbook entry and
// promtool tests on both sides, and the Kubernetes copies are not stale. promtool's own checks
// (`check rules`, `test rules`) run in .ci/run, where Docker is.

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = ruleFiles().flatMap((file) =>
  (parse(read(file)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
);
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
const alerts = rules.filter((r) => r.alert);

// Labels Prometheus attaches to every scraped series (the target's), not the service: job and
// instance always; namespace and pod on Kubernetes (deploy/k8s/monitoring).
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod']);
// Series Prometheus makes itself for every target: no /metrics has them.
const SYNTHETIC = new Set(['up']);

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/** A selector in an expression: the metric name and its label matchers. */
interface Selector {
  name: string;
  matchers: { label: string; op: string; value: string }[];
}

/**
 * The metric selectors of a PromQL expression: a tokenizer good enough for the rules here
 * (checked below on a sample), not a parser. Strings, durations, by/without/on/ignoring
 * clauses and function calls are dropped; what is left that looks like a name is a metric.
 */
export function selectorsOf(expr: string): Selector[] {
  const found: Selector[] = [];
  const text = expr
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  // Numbers and durations (5m, 1h30m) first, so their units are not read as names.
  const re =
    /\b\d+(?:ms|[smhdwy])\b|[\d.]+(?:e[+-]?\d+)?|([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?(\s*\()?|\{[^}]*\}|"[^"]*"/g;
  for (const m of text.matchAll(re)) {
    const [, name, braces, call] = m;
    if (!name || call || KEYWORDS.has(name.toLowerCase())) continue;
    const matchers = [...(braces ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map(
      ([, label, op, value]) => ({ label: label!, op: op!, value: value! }),
    );
    found.push({ name, matchers });
  }
  return found;
}

/** Every series name in a Prometheus text exposition, with the label names and values seen on it. */
function seriesOf(exposition: string): Map<string, Map<string, Set<string>>> {
  const series = new Map<string, Map<string, Set<string>>>();
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? /.exec(line);
    if (!m) continue;
    const labels = series.get(m[1]!) ?? new Map<string, Set<string>>();
    series.set(m[1]!, labels);
    for (const [, label, value] of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels.set(label!, (labels.get(label!) ?? new Set()).add(value!));
    }
  }
  return series;
}

/** GET /metrics of the real app (src/wiring.ts, storage in memory) after traffic of every kind. */
async function scrape(): Promise<string> {
  const { app } = buildTestApp(inMemory());
  const photo = await jpeg(400, 300);
  const upload = () =>
    request(app).post('/v1/images?widths=32,64&format=webp').attach('image', photo, 'p.jpg');
  expect((await upload()).status).toBe(201); // made: image_processing, variants, S3 head + put
  expect((await upload()).status).toBe(200); // deduplicated
  expect(
    (await request(app).post('/v1/resize?widths=16').set('Content-Type', 'image/jpeg').send(photo))
      .status,
  ).toBe(200);
  expect((await request(app).post('/v1/images')).status).toBe(400); // http_requests_rejected_total
  await request(app).get('/healthz');
  await request(app).get('/readyz'); // S3 ping
  await request(app).get('/no-such-path'); // route="unmatched"
  const metrics = await request(app).get('/metrics');
  expect(metrics.status).toBe(200);
  return metrics.text;
}

describe('the PromQL tokenizer used below', () => {
  it('finds metrics and matchers, not functions, clauses, keywords or label names', () => {
    const found = selectorsOf(
      'sum by (namespace, job) (rate(a_total{job="x", code=~"A|B"}[5m])) / on (job) group_left b:rec:rate5m offset 1h > 0.5 * 2 unless absent(up{job="y"}) or histogram_quantile(0.9, sum by (le) (rate(c_bucket{le="2.5"}[1h])))',
    );
    expect(found.map((s) => s.name)).toEqual(['a_total', 'b:rec:rate5m', 'up', 'c_bucket']);
    expect(found[0]!.matchers).toEqual([
      { label: 'job', op: '=', value: 'x' },
      { label: 'code', op: '=~', value: 'A|B' },
    ]);
  });
});

describe('deploy/prometheus/rules', () => {
  let series: Map<string, Map<string, Set<string>>>;
  beforeAll(async () => {
    series = seriesOf(await scrape());
  });

  it('has recording rules and alerts', () => {
    expect(recorded.size).toBeGreaterThan(30);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
  });

  it('names only metrics the service exports (or rules record, or Prometheus makes)', () => {
    const used = rules.flatMap((r) => selectorsOf(r.expr).map((s) => s.name));
    expect(used.length).toBeGreaterThan(50);
    const unknown = used.filter((n) => !series.has(n) && !recorded.has(n) && !SYNTHETIC.has(n));
    expect([...new Set(unknown)]).toEqual([]);
    // And the service's own metrics are all used: none is exported for nothing.
    const own = [...series.keys()].filter((n) => /^(http_|image_|s3_)/.test(n));
    const base = (n: string) => n.replace(/_(bucket|sum|count)$/, '');
    const usedBases = new Set(used.map(base));
    expect(own.map(base).filter((n) => !usedBases.has(n))).toEqual([]);
  });

  it('matches only on labels those metrics carry, with values they can take', () => {
    const problems: string[] = [];
    for (const rule of rules) {
      for (const { name, matchers } of selectorsOf(rule.expr)) {
        const labels = series.get(name);
        if (!labels) continue; // a recorded series or `up`: checked above
        for (const { label, op, value } of matchers) {
          if (TARGET_LABELS.has(label)) {
            if (label === 'job' && value !== 'image-resizer')
              problems.push(`${name}: job=${value}`);
            continue;
          }
          if (!labels.has(label)) {
            problems.push(`${rule.record ?? rule.alert}: ${name} has no label ${label}`);
            continue;
          }
          // Values: the route and code enums come from the source; le from the real buckets.
          const allowed: ReadonlySet<string> | undefined =
            label === 'route'
              ? new Set([...ROUTE_PATHS, 'unmatched'])
              : label === 'code'
                ? new Set(Object.keys(errorCodes))
                : label === 'le' || label === 'method'
                  ? labels.get(label)
                  : undefined;
          if (!allowed || op.startsWith('!')) continue;
          const values = op === '=~' && !/[.*+?\\[\]()]/.test(value) ? value.split('|') : [value];
          if (op === '=~' && values.length === 1 && value !== values[0]) continue;
          for (const v of values) {
            if (!allowed.has(v)) problems.push(`${rule.record ?? rule.alert}: ${label}="${v}"`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('selects job="image-resizer" wherever it reads a scraped metric directly', () => {
    const unscoped = rules.flatMap((r) =>
      selectorsOf(r.expr)
        .filter((s) => !recorded.has(s.name))
        .filter((s) => !s.matchers.some((m) => m.label === 'job' && m.value === 'image-resizer'))
        .map((s) => `${r.record ?? r.alert}: ${s.name}`),
    );
    expect(unscoped).toEqual([]);
  });

  it('gives every alert a severity, a summary, a description and a runbook entry in docs/runbook.md', () => {
    const runbook = read('docs/runbook.md');
    const headings = new Set([...runbook.matchAll(/^## +(\S+)\s*$/gm)].map((m) => m[1]));
    const problems = alerts.flatMap((a) => {
      const name = a.alert!;
      const wrong: string[] = [];
      if (!['critical', 'warning'].includes(a.labels?.severity ?? '')) wrong.push('severity');
      if (!a.annotations?.summary || !a.annotations.description) wrong.push('summary/description');
      if (a.annotations?.runbook_url !== `docs/runbook.md#${name.toLowerCase()}`)
        wrong.push('runbook_url');
      if (!headings.has(name)) wrong.push('no "## <alert>" heading in docs/runbook.md');
      return wrong.map((w) => `${name}: ${w}`);
    });
    expect(problems).toEqual([]);
    // And no runbook entry for an alert that no longer exists.
    const names = new Set(alerts.map((a) => a.alert));
    expect([...headings].filter((h) => h!.startsWith('ImageResizer') && !names.has(h))).toEqual([]);
  });

  it('has promtool tests where every alert fires, and where it stays silent', () => {
    interface AlertTest {
      alertname: string;
      exp_alerts?: unknown[];
    }
    const tests = (
      parse(read('deploy/prometheus/tests/alerts.test.yml')) as {
        tests: { alert_rule_test?: AlertTest[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test ?? []);
    const fires = new Set(tests.filter((t) => t.exp_alerts?.length).map((t) => t.alertname));
    const silent = new Set(tests.filter((t) => !t.exp_alerts?.length).map((t) => t.alertname));
    const names = alerts.map((a) => a.alert!);
    expect(names.filter((n) => !fires.has(n))).toEqual([]);
    expect(names.filter((n) => !silent.has(n))).toEqual([]);
  });

  it("compares memory with the replicas' real limit: Kubernetes's and Swarm's", () => {
    const memory = alerts.find((a) => a.alert === 'ImageResizerMemoryNearLimit')!;
    const mib = Number(/(\d+) \* 1024 \* 1024/.exec(memory.expr)?.[1]);
    const deployment = parse(read('deploy/k8s/base/app-deployment.yaml')) as {
      spec: { template: { spec: { containers: { resources: { limits: { memory: string } } }[] } } };
    };
    expect(deployment.spec.template.spec.containers[0]!.resources.limits.memory).toBe(`${mib}Mi`);
    // Docker reads "768M" as MiB.
    // (logLevel: compose's !reset tags are not YAML's.)
    const stack = parse(read('deploy/swarm/stack.yml'), { logLevel: 'silent' }) as {
      services: { app: { deploy: { resources: { limits: { memory: string } } } } };
    };
    expect(stack.services.app.deploy.resources.limits.memory).toBe(`${mib}M`);
    expect(memory.annotations?.summary).toContain(`${mib} MiB`);
  });
});

describe('deploy/k8s/monitoring', () => {
  it('is what scripts/monitoring/generate-k8s.ts makes of deploy/prometheus (not stale)', () => {
    const files = render();
    expect(Object.keys(files).length).toBe(4);
    for (const [file, content] of Object.entries(files)) {
      expect({ file, content: read(file) }).toEqual({ file, content });
    }
  });

  it('carries the rules unchanged', () => {
    const files = render();
    const rule = parse(files['deploy/k8s/monitoring/prometheus-rule.yaml']!) as {
      spec: { groups: { rules: Rule[] }[] };
    };
    expect(rule.spec.groups.flatMap((g) => g.rules)).toEqual(rules);
  });
});
