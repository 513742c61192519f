import type { LoadResult } from './load';

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

interface Report {
  when: string;
  quick: boolean;
  serviceEnv: Record<string, string>;
  machine: Record<string, unknown>;
  results: Record<string, LoadResult[]>;
  dedupe: { miss: LoadResult; hit: LoadResult };
  memory: {
    service: { statuses: number[]; before: number; peakMiB: number; rssMiB: number };
    naive: { statuses: number[]; peakMiB: number; rssMiB: number };
    uploadBytes: number;
  };
}

const atSaturation = (rows: LoadResult[] | undefined) =>
  Math.max(...(rows ?? []).map((r) => r.throughput));

/** The results as a markdown report: tables, then the ratios the targets are stated in. */
export function renderMarkdown(report: Report): string {
  const lines = [
    `# Benchmark ${report.when}${report.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${JSON.stringify(report.machine)}`,
    '',
    `Service settings beyond the defaults: ${JSON.stringify(report.serviceEnv)}`,
    '',
    '| scenario | concurrency | requests | images/s | p50 ms | p99 ms | statuses |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, rows] of Object.entries(report.results)) {
    for (const r of rows) {
      const statuses =
        Object.entries(r.statuses)
          .map(([s, n]) => `${s}x${n}`)
          .join(' ') || 'in-process';
      lines.push(
        `| ${name} | ${r.concurrency} | ${r.requests} | ${fmt(r.throughput)} | ${fmt(r.p50, 0)} | ${fmt(r.p99, 0)} | ${statuses} |`,
      );
    }
  }
  const r = report.results;
  const resizeRatio =
    atSaturation(r['service /v1/resize: 12 MP -> 800 px JPEG']) /
    atSaturation(r['raw sharp: 12 MP -> 800 px JPEG']);
  const imagesRatio =
    atSaturation(r['service /v1/images: 3 widths, sink S3']) /
    atSaturation(r['raw sharp: 12 MP -> 3 widths']);
  const at8 = r['service /v1/resize: 12 MP -> 800 px JPEG']?.find((x) => x.concurrency === 8);
  const { miss, hit } = report.dedupe;
  const { service, naive } = report.memory;
  lines.push(
    '',
    '| target | measured | met |',
    '| --- | --- | --- |',
    `| /v1/resize >= 0.90 x raw sharp at saturation | ${fmt(resizeRatio, 2)} | ${resizeRatio >= 0.9 ? 'yes' : 'no'} |`,
    `| /v1/images (3 variants, sink) >= 0.85 x raw sharp | ${fmt(imagesRatio, 2)} | ${imagesRatio >= 0.85 ? 'yes' : 'no'} |`,
    `| p99 <= 2 x p50 at concurrency 8 (/v1/resize) | p50 ${fmt(at8?.p50 ?? NaN, 0)} ms, p99 ${fmt(at8?.p99 ?? NaN, 0)} ms | ${at8 && at8.p99 <= 2 * at8.p50 ? 'yes' : 'no'} |`,
    `| dedupe hit >= 20 x faster than a miss (p50) | miss ${fmt(miss.p50, 0)} ms, hit ${fmt(hit.p50, 1)} ms: ${fmt(miss.p50 / hit.p50, 0)}x | ${miss.p50 / hit.p50 >= 20 ? 'yes' : 'no'} |`,
    `| peak RSS, 16 x ${fmt(report.memory.uploadBytes / 2 ** 20)} MiB uploads <= 0.5 x naive | service ${fmt(service.peakMiB, 0)} MiB vs naive ${fmt(naive.peakMiB, 0)} MiB: ${fmt(service.peakMiB / naive.peakMiB, 2)} | ${service.peakMiB <= 0.5 * naive.peakMiB ? 'yes' : 'no'} |`,
    `| memory given back after the burst | service RSS ${fmt(service.before, 0)} -> peak ${fmt(service.peakMiB, 0)} -> ${fmt(service.rssMiB, 0)} MiB 3 s later; naive ${fmt(naive.rssMiB, 0)} MiB | - |`,
    '',
    `Statuses of the 16 uploads: service ${service.statuses.join(',')}; naive ${naive.statuses.join(',')}.`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** A small SVG line chart: throughput against concurrency, one line per scenario. */
export function renderChart(results: Record<string, LoadResult[]>): string {
  const width = 720;
  const height = 360;
  const pad = 50;
  const series = Object.entries(results);
  const maxC = Math.max(...series.flatMap(([, rows]) => rows.map((r) => r.concurrency)));
  const maxT = Math.max(...series.flatMap(([, rows]) => rows.map((r) => r.throughput))) * 1.1;
  const x = (c: number) => pad + (Math.log2(c) / Math.log2(maxC)) * (width - 2 * pad);
  const y = (t: number) => height - pad - (t / maxT) * (height - 2 * pad);
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad}" y="20" font-size="13">Throughput (images/s) by concurrency</text>`,
    `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="black"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="black"/>`,
  ];
  for (const c of [...new Set(series.flatMap(([, rows]) => rows.map((r) => r.concurrency)))]) {
    parts.push(`<text x="${x(c)}" y="${height - pad + 15}" text-anchor="middle">${c}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const t = (maxT * i) / 4;
    parts.push(`<text x="${pad - 5}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(0)}</text>`);
  }
  series.forEach(([name, rows], i) => {
    const colour = colours[i % colours.length];
    const points = rows.map((r) => `${x(r.concurrency)},${y(r.throughput)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`);
    parts.push(
      `<text x="${width - pad - 250}" y="${pad + 14 * i}" fill="${colour}">${name}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
