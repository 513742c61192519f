/**
 * The measurements behind the service's tuning decisions (`npm run bench:tuning`, ~3 minutes):
 * encoder settings, a shared decode against one pipeline per variant, sharp's clone(), the upload
 * memory budget and jobs per CPU. Writes bench/results/tuning-<time>.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { makeCorpus, uploadOf, variantOf } from './lib/corpus';
import { median, runInProcess, runLoad } from './lib/load';
import { multipart, startNaiveServer } from './lib/naive';
import { rawSharp } from './lib/raw-sharp';
import { withService } from './lib/service';
import { listenOnLoopback } from '../test/support/listen';
import { startSinkS3 } from './lib/sink-s3';
import { ROUTES } from './lib/routes';
import { createDigest } from '../src/domain/content-digest';

const lines: string[] = [];
const out = (line = '') => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

/** Per variant, one pipeline on the upload (what the service did before sharing a decode). */
async function perVariant(input: Buffer, widths: number[]) {
  for (const width of widths) {
    await sharp(input, { failOn: 'error', autoOrient: true })
      .resize({ width, withoutEnlargement: true })
      .jpeg({ quality: 80, progressive: true })
      .toBuffer();
  }
}

async function main() {
  sharp.cache(false);
  sharp.concurrency(1);
  const corpus = await makeCorpus();
  const photo = corpus.photo12mp;
  out(`# Tuning measurements ${new Date().toISOString()}`);
  out();
  out(`sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, one libvips thread.`);

  out('\n## Encoders: 12 MP JPEG -> width, q80 (median of 3, decode and resize included)\n');
  out('| width | encoder | ms | KB |');
  out('| --- | --- | --- | --- |');
  const encoders: [string, (s: sharp.Sharp) => sharp.Sharp, number[]][] = [
    ['JPEG progressive (default)', (s) => s.jpeg({ quality: 80, progressive: true }), [320, 1280]],
    ['JPEG baseline', (s) => s.jpeg({ quality: 80 }), [320, 1280]],
    ['JPEG mozjpeg (JPEG_MOZJPEG)', (s) => s.jpeg({ quality: 80, mozjpeg: true }), [320, 1280]],
    ...[0, 2, 3, 4].map((effort): [string, (s: sharp.Sharp) => sharp.Sharp, number[]] => [
      `AVIF effort ${effort}${effort === 3 ? ' (default, AVIF_EFFORT)' : ''}`,
      (s) => s.avif({ quality: 80, effort }),
      [1280, 2400],
    ]),
  ];
  for (const [name, encode, widths] of encoders) {
    for (const width of widths) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        bytes = (await encode(sharp(photo).resize({ width })).toBuffer()).length;
        times.push(performance.now() - started);
      }
      out(`| ${width} | ${name} | ${median(times).toFixed(0)} | ${(bytes / 1024).toFixed(0)} |`);
    }
  }

  // WEBP_EFFORT: the typical job (1280 px) and the worst one the defaults allow in one variant (a
  // 27 MP upload at its full size: MAX_OUTPUT_DIMENSION is 8192, and nothing is enlarged).
  out(
    '\n## WebP effort (WEBP_EFFORT): 12 MP -> 1280 px (median of 3), 27 MP at full size (1 run)\n',
  );
  out('| effort | 1280 px ms | KB | 27 MP full size ms | KB |');
  out('| --- | --- | --- | --- | --- |');
  for (const effort of [0, 1, 2, 3, 4, 5, 6]) {
    const webp = (s: sharp.Sharp) => s.webp({ quality: 80, effort }).toBuffer();
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      bytes = (await webp(sharp(photo).resize({ width: 1280 }))).length;
      times.push(performance.now() - started);
    }
    const started = performance.now();
    const big = (await webp(sharp(corpus.jpeg20mb))).length;
    const bigMs = performance.now() - started;
    const label = `${effort}${effort === 2 ? ' (default, WEBP_EFFORT)' : effort === 4 ? " (libvips' default)" : ''}`;
    out(
      `| ${label} | ${median(times).toFixed(0)} | ${(bytes / 1024).toFixed(0)} | ${bigMs.toFixed(0)} | ${(big / 1024).toFixed(0)} |`,
    );
  }

  out('\n## Three widths (320, 640, 1280): one shared decode against one pipeline per variant\n');
  out('| source | concurrency | per variant: images/s, CPU ms | shared decode: images/s, CPU ms |');
  out('| --- | --- | --- | --- |');
  for (const [name, source] of [
    ['12 MP JPEG', photo],
    ['27 MP JPEG (4:4:4)', corpus.jpeg20mb],
  ] as const) {
    for (const concurrency of [1, 4]) {
      const common = { concurrency, requests: 16, input: (i: number) => variantOf(source, i) };
      const a = await runInProcess({ ...common, work: (x) => perVariant(x, [320, 640, 1280]) });
      const b = await runInProcess({ ...common, work: (x) => rawSharp(x, [320, 640, 1280]) });
      out(
        `| ${name} | ${concurrency} | ${a.throughput.toFixed(2)}, ${a.cpuMs.client.toFixed(0)} | ${b.throughput.toFixed(2)}, ${b.cpuMs.client.toFixed(0)} |`,
      );
    }
  }

  out("\n## sharp's clone() on a 12 MP upload: it copies the input buffer\n");
  const base = sharp(photo);
  const started = performance.now();
  for (let i = 0; i < 200; i++) base.clone();
  const perClone = (performance.now() - started) / 200;
  out(
    `clone(): ${perClone.toFixed(2)} ms each for a ${(photo.length / 2 ** 20).toFixed(1)} MiB input (a new sharp(input) shares the buffer).`,
  );

  out('\n## The floor of a dedupe hit: a bare Node server that only receives and hashes\n');
  const bare = createServer((req, res) => {
    const hash = createDigest();
    req.on('data', (chunk: Buffer) => hash.update(chunk));
    req.on('end', () => res.end(JSON.stringify({ id: hash.digest('hex') })));
  });
  const bareUrl = `${(await listenOnLoopback(bare)).url}/`;
  const floors: string[] = [];
  for (let round = 0; round < 3; round++) {
    const r = await runLoad({ url: bareUrl, concurrency: 1, requests: 30, body: () => photo });
    floors.push(r.p50.toFixed(1));
  }
  bare.close();
  out(
    `p50 over 30 POSTs of the ${(photo.length / 2 ** 20).toFixed(1)} MiB upload, 3 rounds: ${floors.join(', ')} ms.`,
  );

  const sink = await startSinkS3();
  const sinkEnv = { S3_ENDPOINT: sink.endpoint, S3_BUCKET: 'bench' };
  const send = (url: string, file: Buffer) => {
    const { data, type } = multipart(file);
    return fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body: data }).then(
      (r) => r.status,
    );
  };
  const max = 25 * 1024 * 1024;
  out('\n## Upload memory budget: 16 concurrent 24 MiB multipart uploads, 3 widths each\n');
  out(
    '| MAX_UPLOAD_MEMORY_BYTES | peak RSS MiB | burst s | RSS after 10 more 12 MP uploads | statuses |',
  );
  out('| --- | --- | --- | --- | --- |');
  const naive = await startNaiveServer();
  const naiveStatuses = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      send(`${naive.url}/resize?widths=320,640,1280`, variantOf(corpus.jpeg20mb, i)),
    ),
  );
  out(
    `| naive baseline | ${naive.memory().peakMiB.toFixed(0)} | - | - | ${naiveStatuses.join(',')} |`,
  );
  await naive.stop();
  for (const factor of [2, 3, 6]) {
    await withService(
      { ...sinkEnv, MAX_UPLOAD_MEMORY_BYTES: String(factor * max) },
      async (url, server) => {
        const route = `${url}${ROUTES.images}`;
        const t = performance.now();
        const statuses = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            send(route, variantOf(corpus.jpeg20mb, factor * 100 + i)),
          ),
        );
        const seconds = (performance.now() - t) / 1000;
        const peak = server.memory().peakMiB;
        for (let i = 0; i < 10; i++) await send(route, variantOf(photo, factor * 100 + i));
        const label = `${factor} x 25 MiB${factor === 3 ? ' (default, 2 CPUs)' : ''}`;
        out(
          `| ${label} | ${peak.toFixed(0)} | ${seconds.toFixed(1)} | ${server.memory().rssMiB.toFixed(0)} | ${[...new Set(statuses)].join(',')} |`,
        );
      },
    );
  }

  out('\n## Jobs per CPU: /v1/resize 12 MP -> 800 px at concurrency 8, two rounds\n');
  out('| MAX_CONCURRENT_JOBS | images/s | ratio to raw sharp in the same round |');
  out('| --- | --- | --- |');
  for (let round = 0; round < 2; round++) {
    const raw = await runInProcess({
      concurrency: 8,
      requests: 64,
      input: (i) => variantOf(photo, i),
      work: (x) => rawSharp(x, [800]),
    });
    for (const jobs of [2, 4, 6]) {
      const r = await withService({ ...sinkEnv, MAX_CONCURRENT_JOBS: String(jobs) }, (url) =>
        runLoad({
          url: `${url}${ROUTES.resize}`,
          concurrency: 8,
          requests: 64,
          body: (i) => uploadOf(photo, 1e6 * (round + 1) + jobs * 1e3 + i),
        }),
      );
      out(
        `| ${jobs}${jobs === 4 ? ' (default, 2 CPUs)' : ''} | ${r.throughput.toFixed(1)} | ${(r.throughput / raw.throughput).toFixed(2)} (raw ${raw.throughput.toFixed(1)}) |`,
      );
    }
  }
  await sink.close();

  const dir = path.join(__dirname, 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `tuning-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
  await writeFile(file, `${lines.join('\n')}\n`);
  process.stdout.write(`tuning: results in ${path.relative(process.cwd(), file)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`tuning failed: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
