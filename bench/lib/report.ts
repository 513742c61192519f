import { median, type LoadResult } from './load';
import { dedupeFigures, type DedupeRuns } from './dedupe-runs';

/** Scenario names: keys of the results and labels of tables and chart. */
export const SCENARIOS = {
  rawOne: 'raw sharp: 12 MP -> 800 px JPEG',
  serviceOne: 'service /v1/resize: 12 MP -> 800 px JPEG',
  nginxOne: 'nginx + service /v1/resize',
  rawThree: 'raw sharp: 12 MP -> 3 widths',
  serviceThree: 'service /v1/images: 3 widths, sink S3',
  nginxThree: 'nginx + service /v1/images, sink S3',
} as const;
const S = SCENARIOS;

interface Memory {
  statuses: number[];
  before: number;
  peakMiB: number;
  /** 3 s after the burst, idle. */
  idleMiB: number;
  /** After 10 ordinary uploads more (V8 has collected the burst's garbage). */
  rssMiB: number;
}

/** One level of one round of the peer comparison: unjs/ipx against /v1/resize (multipart). */
export interface PeerRound {
  round: number;
  concurrency: number;
  ipx: LoadResult;
  service: LoadResult;
}

/** The runs the c=8 targets compare, taken seconds apart. */
export interface TargetRound {
  rawOne: LoadResult;
  serviceOne: LoadResult;
  /** Since 2026-12-03: node:http doing the ceiling's work (bench/bare-server.ts), the floor. */
  bareOne?: LoadResult;
  rawThree: LoadResult;
  serviceThree: LoadResult;
}

export interface Report {
  when: string;
  quick: boolean;
  serviceEnv: Record<string, string>;
  /** Since 2026-12-02, 15:40: the Node process's settings from the Dockerfile, as the image runs it. */
  imageEnv?: Record<string, string>;
  machine: Record<string, unknown>;
  corpusBytes: Record<string, number>;
  results: Record<string, LoadResult[]>;
  realS3: LoadResult;
  dedupe: DedupeRuns;
  peer?: PeerRound[];
  /** Since 2026-12-02: the c=8 level of the sweep and more alternating rounds at c=8. */
  targetRounds?: TargetRound[];
  dedupeRealS3: DedupeRuns;
  memory: { service: Memory; naive: Memory; uploadBytes: number };
  soak?: {
    seconds: number;
    load: LoadResult & { offered: number; skipped: number };
    /** [seconds since start, RSS MiB] */
    rss: [number, number][];
    peakMiB: number;
  };
  notes: string[];
  seconds: number;
  /** Since 2026-12-02 the ceiling runs just before the service at each level; older files lack it. */
  ceilingInterleaved?: boolean;
}

const fmt = (n: number | undefined, digits = 1) =>
  n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '-';
const yes = (ok: boolean | undefined) => (ok === undefined ? '-' : ok ? 'yes' : 'no');
const statusText = (r: LoadResult) =>
  Object.entries(r.statuses)
    .map(([s, n]) => `${s}x${n}`)
    .join(' ') || 'in-process';

/** Best throughput over the concurrency levels: the saturation figure the targets compare. */
const saturation = (rows: LoadResult[] | undefined) =>
  rows && rows.length > 0 ? Math.max(...rows.map((r) => r.throughput)) : NaN;
const ratio = (r: Report['results'], a: string, b: string) => saturation(r[a]) / saturation(r[b]);
/** The same, at one concurrency level: runs seconds apart (the harness interleaves them). */
const ratioAt = (r: Report['results'], a: string, b: string, c: number) => {
  const at = (name: string) => r[name]?.find((x) => x.concurrency === c)?.throughput ?? NaN;
  return at(a) / at(b);
};

function soakRows(soak: Report['soak']): string[] {
  if (!soak)
    return ['| soak: RSS growth < 10% | not run (`--quick`; the full run soaks 10 min) | - |'];
  // RSS climbs while V8's heap and glibc's arenas size themselves to the load; a leak is what
  // keeps growing after that. Growth is taken from 30% into the soak to the end; the figure at
  // one minute is shown too.
  const at = (t: number) => soak.rss.find(([s]) => s >= t) ?? soak.rss[0];
  const early = at(60);
  const warm = at(0.3 * soak.seconds);
  const last = soak.rss[soak.rss.length - 1];
  const growth = warm && last ? (last[1] - warm[1]) / warm[1] : NaN;
  const after = soak.rss.filter(([t]) => warm && t >= warm[0]).map(([, mib]) => mib);
  return [
    `| soak ${soak.seconds} s at ${soak.load.offered}/s (/v1/images): RSS growth < 10% after warm-up | RSS ${fmt(early?.[1], 0)} MiB at ${early?.[0]} s, ${fmt(warm?.[1], 0)} MiB at ${warm?.[0]} s -> ${fmt(last?.[1], 0)} MiB at ${last?.[0]} s: ${fmt(100 * growth)}% (range after warm-up ${Math.min(...after)}-${Math.max(...after)} MiB); p50 ${fmt(soak.load.p50, 0)} / p99 ${fmt(soak.load.p99, 0)} ms; ${statusText(soak.load)}; ${soak.load.skipped} not sent (client cap) | ${yes(growth < 0.1)} |`,
  ];
}

/** The peer comparison by level: medians over the rounds, and the median of their ratios. */
export function peerSummary(peer: PeerRound[] = []) {
  const levels = [...new Set(peer.map((p) => p.concurrency))];
  return levels.map((c) => {
    const at = peer.filter((p) => p.concurrency === c);
    return {
      concurrency: c,
      rounds: at.length,
      service: median(at.map((p) => p.service.throughput)),
      ipx: median(at.map((p) => p.ipx.throughput)),
      // Each round's own ratio (runs seconds apart), then the median: see the c=8 targets.
      ratio: median(at.map((p) => p.service.throughput / p.ipx.throughput)),
      serviceP50: median(at.map((p) => p.service.p50)),
      serviceP99: median(at.map((p) => p.service.p99)),
      ipxP50: median(at.map((p) => p.ipx.p50)),
      ipxP99: median(at.map((p) => p.ipx.p99)),
      serviceCpu: median(at.map((p) => p.service.cpuMs.server ?? NaN)),
      ipxCpu: median(at.map((p) => p.ipx.cpuMs.server ?? NaN)),
    };
  });
}

function peerRows(peer: Report['peer']): string[] {
  const summary = peerSummary(peer);
  if (summary.length === 0) return [];
  return [
    '',
    'Peer: unjs/ipx 3 in its own process (GET from local disk) against `/v1/resize` with a multipart',
    'upload, 12 MP -> 800 px progressive JPEG q80 for both; medians of alternating rounds (the',
    "ratio: the median of each round's ratio).",
    '',
    '| concurrency | rounds | service images/s | ipx images/s | ratio | p50 / p99 ms service | p50 / p99 ms ipx | CPU ms/req service / ipx | >= 1.0 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...summary.map(
      (x) =>
        `| ${x.concurrency} | ${x.rounds} | ${fmt(x.service)} | ${fmt(x.ipx)} | ${fmt(x.ratio, 3)} | ${fmt(x.serviceP50, 0)} / ${fmt(x.serviceP99, 0)} | ${fmt(x.ipxP50, 0)} / ${fmt(x.ipxP99, 0)} | ${fmt(x.serviceCpu, 0)} / ${fmt(x.ipxCpu, 0)} | ${yes(x.ratio >= 1)} |`,
    ),
  ];
}

/** The results as a markdown report: tables, then the ratios the targets are stated in. */
export function renderMarkdown(report: Report): string {
  const r = report.results;
  const lines = [
    `# Benchmark ${report.when}${report.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${JSON.stringify(report.machine)}`,
    '',
    `Service settings beyond the defaults: ${JSON.stringify(report.serviceEnv)}`,
    ...(report.imageEnv
      ? ['', `Node process settings from the container image: ${JSON.stringify(report.imageEnv)}`]
      : []),
    '',
    ...report.notes.map((n) => `**Note:** ${n}\n`),
    ...(report.ceilingInterleaved
      ? []
      : [
          '**Note:** this run measured the raw-sharp ceiling first, minutes before the service: its ratios to raw sharp compare different moments of a machine whose speed drifts (docs/performance.md, "The harness").\n',
        ]),
    'CPU ms per request: of the service process (nginx not included), and of the benchmark process',
    '(the load generator; for raw sharp, sharp itself).',
    '',
    '| scenario | concurrency | requests | images/s | p50 ms | p99 ms | CPU ms/req service | CPU ms/req bench | statuses |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const row = (name: string, x: LoadResult) =>
    `| ${name} | ${x.concurrency} | ${x.requests} | ${fmt(x.throughput)} | ${fmt(x.p50, 0)} | ${fmt(x.p99, 0)} | ${fmt(x.cpuMs.server, 0)} | ${fmt(x.cpuMs.client, 0)} | ${statusText(x)} |`;
  for (const [name, rows] of Object.entries(r)) for (const x of rows) lines.push(row(name, x));
  lines.push(row('service /v1/images: 3 widths, real S3 (s3rver)', report.realS3));

  const rounds = report.targetRounds ?? [];
  const medianOf = (pick: (t: TargetRound) => number) => median(rounds.map(pick));
  // The median of each round's own ratio (two runs seconds apart): this machine drifts by more
  // than the gap measured, so a ratio of medians would pair runs minutes apart. Older files,
  // without rounds: the sweep's c=8 level.
  const roundRatios = (a: keyof TargetRound, b: keyof TargetRound) =>
    rounds.map((t) => (t[a]?.throughput ?? NaN) / (t[b]?.throughput ?? NaN));
  const [resize, images] = rounds.length
    ? [median(roundRatios('serviceOne', 'rawOne')), median(roundRatios('serviceThree', 'rawThree'))]
    : [ratioAt(r, S.serviceOne, S.rawOne, 8), ratioAt(r, S.serviceThree, S.rawThree, 8)];
  const each = (a: keyof TargetRound, b: keyof TargetRound) =>
    rounds.length
      ? ` (median of ${rounds.length} alternating rounds: ${roundRatios(a, b)
          .map((x) => fmt(x, 2))
          .join(', ')})`
      : '';
  // The floor (bench/bare-server.ts), in reports since 2026-12-03: what HTTP in Node costs alone.
  const floorRows = rounds.every((t) => t.bareOne)
    ? [
        `| (reference) the floor: node:http doing the ceiling's work (bench/bare-server.ts), concurrency 8 | ${fmt(median(roundRatios('bareOne', 'rawOne')), 3)} x raw sharp${each('bareOne', 'rawOne')}; the service ${fmt(median(roundRatios('serviceOne', 'bareOne')), 3)} x the floor${each('serviceOne', 'bareOne')}. CPU ms per request, process + load generator: service ${fmt(medianOf((t) => t.serviceOne.cpuMs.server ?? NaN))} + ${fmt(medianOf((t) => t.serviceOne.cpuMs.client))}, floor ${fmt(medianOf((t) => t.bareOne?.cpuMs.server ?? NaN))} + ${fmt(medianOf((t) => t.bareOne?.cpuMs.client ?? NaN))}, raw sharp ${fmt(medianOf((t) => t.rawOne.cpuMs.client))} | - |`,
      ]
    : [];
  const nginxOne = ratio(r, S.nginxOne, S.serviceOne);
  const nginxThree = ratio(r, S.nginxThree, S.serviceThree);
  const at8 = rounds.length
    ? { p50: medianOf((t) => t.serviceOne.p50), p99: medianOf((t) => t.serviceOne.p99) }
    : r[S.serviceOne]?.find((x) => x.concurrency === 8);
  const dedupe = dedupeFigures(report.dedupe);
  const real = dedupeFigures(report.dedupeRealS3);
  const dedupeRounds = (d: typeof dedupe) =>
    d.ratios
      ? ` (median of ${d.ratios.length} alternating rounds, after a warm-up: ${d.ratios.map((x) => fmt(x, 0)).join(', ')})`
      : '';
  const { service, naive } = report.memory;
  const mib = fmt(report.memory.uploadBytes / 2 ** 20);
  lines.push(
    '',
    '| target | measured | met |',
    '| --- | --- | --- |',
    `| /v1/resize >= 0.90 x raw sharp at concurrency 8 | ${fmt(resize, 3)}${each('serviceOne', 'rawOne')} | ${yes(resize >= 0.9)} |`,
    ...floorRows,
    `| /v1/images (3 variants, sink) >= 0.85 x raw sharp at concurrency 8 | ${fmt(images, 3)}${each('serviceThree', 'rawThree')} | ${yes(images >= 0.85)} |`,
    `| (reference) the same at saturation (best level of each) | /v1/resize ${fmt(ratio(r, S.serviceOne, S.rawOne), 2)}, /v1/images ${fmt(ratio(r, S.serviceThree, S.rawThree), 2)} | - |`,
    `| p99 <= 2 x p50 at concurrency 8 (/v1/resize${rounds.length ? '; medians of each over the rounds' : ''}) | p50 ${fmt(at8?.p50, 0)} ms, p99 ${fmt(at8?.p99, 0)} ms | ${yes(at8 && at8.p99 <= 2 * at8.p50)} |`,
    `| dedupe hit >= 20 x faster than a miss (p50, sink S3) | miss ${fmt(dedupe.miss, 0)} ms, hit ${fmt(dedupe.hit, 1)} ms: ${fmt(dedupe.ratio, 1)}x${dedupeRounds(dedupe)} | ${yes(dedupe.ratio >= 20)} |`,
    `| (reference) the same on s3rver | miss ${fmt(real.miss, 0)} ms, hit ${fmt(real.hit, 1)} ms: ${fmt(real.ratio, 1)}x${dedupeRounds(real)} | - |`,
    `| peak RSS, 16 x ${mib} MiB multipart uploads <= 0.5 x naive | service ${fmt(service.peakMiB, 0)} MiB vs naive ${fmt(naive.peakMiB, 0)} MiB: ${fmt(service.peakMiB / naive.peakMiB, 2)} | ${yes(service.peakMiB <= 0.5 * naive.peakMiB)} |`,
    `| memory given back after the burst | service ${fmt(service.before, 0)} -> peak ${fmt(service.peakMiB, 0)} -> idle ${fmt(service.idleMiB, 0)} -> ${fmt(service.rssMiB, 0)} MiB after 10 more 12 MP uploads; naive ${fmt(naive.before, 0)} -> ${fmt(naive.peakMiB, 0)} -> ${fmt(naive.idleMiB, 0)} -> ${fmt(naive.rssMiB, 0)} MiB | ${yes(service.rssMiB < 0.75 * service.peakMiB)} |`,
    `| nginx in front costs <= 5% (saturation) | /v1/resize ${fmt(nginxOne, 2)}, /v1/images ${fmt(nginxThree, 2)} | ${Number.isNaN(nginxOne) ? '-' : yes(nginxOne >= 0.95 && nginxThree >= 0.95)} |`,
    ...soakRows(report.soak),
    ...peerRows(report.peer),
    '',
    `Statuses of the 16 uploads: service ${service.statuses.join(',')}; naive ${naive.statuses.join(',')}.`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** One panel of the chart: a value against concurrency (log scale), one line per scenario. */
function panel(
  results: Record<string, LoadResult[]>,
  value: (r: LoadResult) => number,
  title: string,
  top: number,
): string[] {
  const width = 760;
  const height = 300;
  const pad = 50;
  const series = Object.entries(results);
  const all = series.flatMap(([, rows]) => rows);
  const maxC = Math.max(...all.map((r) => r.concurrency));
  const maxV = Math.max(...all.map(value)) * 1.1;
  const x = (c: number) => pad + (Math.log2(c) / Math.log2(maxC)) * (width - 2 * pad - 230);
  const y = (v: number) => top + height - pad - (v / maxV) * (height - 2 * pad);
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  const parts = [
    `<text x="${pad}" y="${top + 20}" font-size="13">${title}</text>`,
    `<line x1="${pad}" y1="${y(0)}" x2="${x(maxC)}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${pad}" y1="${top + pad}" x2="${pad}" y2="${y(0)}" stroke="black"/>`,
  ];
  for (const c of new Set(all.map((r) => r.concurrency))) {
    parts.push(`<text x="${x(c)}" y="${y(0) + 15}" text-anchor="middle">${c}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (maxV * i) / 4;
    parts.push(`<text x="${pad - 5}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`);
  }
  series.forEach(([name, rows], i) => {
    const colour = colours[i % colours.length] ?? 'black';
    const points = rows.map((r) => `${x(r.concurrency)},${y(value(r))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`);
    parts.push(
      `<text x="${width - 260}" y="${top + pad + 14 * i}" fill="${colour}">${name}</text>`,
    );
  });
  return parts;
}

/** Throughput and p99 latency against concurrency: raw sharp, the service, nginx + service. */
export function renderChart(results: Record<string, LoadResult[]>): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="620" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...panel(results, (r) => r.throughput, 'Throughput (images/s) by concurrency', 0),
    ...panel(results, (r) => r.p99, 'p99 latency (ms) by concurrency', 310),
    '</svg>\n',
  ].join('\n');
}
