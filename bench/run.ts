/**
 * The benchmark harness: `npm run bench` (full) or `npm run bench -- --quick` (< 3 minutes).
 * Every scenario runs in this one invocation so ratios compare like with like on a noisy
 * machine. Writes bench/results/<time>.json and .md, and bench/results/throughput.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { startS3 } from '../test/support/s3-server';
import { startServerProcess, type ServerProcess } from '../test/support/server-process';
import { makeCorpus, variantOf } from './lib/corpus';
import { runInProcess, runLoad, type LoadResult } from './lib/load';
import { multipart, startNaiveServer } from './lib/naive';
import { renderChart, renderMarkdown } from './lib/report';
import { startSinkS3 } from './lib/sink-s3';

const quick = process.argv.includes('--quick');
// `--env NAME=value` (repeatable) sets service configuration, to compare tunings in one go.
const serviceEnv = Object.fromEntries(
  process.argv.flatMap((arg, i) =>
    process.argv[i - 1] === '--env' ? [arg.split(/=(.*)/s).slice(0, 2)] : [],
  ),
) as Record<string, string>;
const levels = quick ? [1, 2, 4, 8] : [1, 2, 4, 8, 16];
const perLevel = (c: number) => Math.max(quick ? 12 : 24, c * (quick ? 4 : 8));

// The service's encoder settings, repeated here on purpose: the ceiling is sharp alone.
sharp.cache(false);
sharp.concurrency(1);
const rawSharp = (input: Buffer, widths: number[]) => {
  const base = sharp(input, { failOn: 'error', autoOrient: true });
  return widths.reduce<Promise<unknown>>(
    (previous, width) =>
      previous.then(() =>
        base
          .clone()
          .resize({ width, withoutEnlargement: true })
          .flatten({ background: '#ffffff' })
          .jpeg({ quality: 80, mozjpeg: true })
          .toBuffer(),
      ),
    Promise.resolve(),
  );
};

async function withService<T>(
  env: Record<string, string>,
  run: (url: string, server: ServerProcess) => Promise<T>,
) {
  const server = startServerProcess({
    PORT: '0',
    HOST: '127.0.0.1',
    MAX_QUEUED_JOBS: '64',
    S3_FORCE_PATH_STYLE: 'true',
    S3_CHECKSUMS: 'WHEN_REQUIRED',
    MALLOC_ARENA_MAX: '2',
    ...serviceEnv,
    ...env,
  });
  try {
    return await run(await server.waitForListening(), server);
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

async function main() {
  const started = Date.now();
  const corpus = await makeCorpus();
  const sink = await startSinkS3();
  const sinkEnv = { S3_ENDPOINT: sink.endpoint, S3_BUCKET: 'bench' };
  const results: Record<string, LoadResult[]> = {};
  const log = (line: string) => process.stdout.write(`${line}\n`);

  // 1-3. Throughput and latency by concurrency: raw sharp, /v1/resize, /v1/images (3 variants).
  for (const c of levels) {
    const n = perLevel(c);
    const one = (i: number) => variantOf(corpus.photo12mp, i);
    (results['raw sharp: 12 MP -> 800 px JPEG'] ??= []).push(
      await runInProcess({ concurrency: c, requests: n, work: (i) => rawSharp(one(i), [800]) }),
    );
    (results['raw sharp: 12 MP -> 3 widths'] ??= []).push(
      await runInProcess({
        concurrency: c,
        requests: n,
        work: (i) => rawSharp(one(i), [320, 640, 1280]),
      }),
    );
    log(`level ${c}: raw sharp done`);
  }
  await withService(sinkEnv, async (url, server) => {
    for (const c of levels) {
      const n = perLevel(c);
      (results['service /v1/resize: 12 MP -> 800 px JPEG'] ??= []).push(
        await runLoad({
          url: `${url}/v1/resize?widths=800&format=jpeg&quality=80`,
          concurrency: c,
          requests: n,
          body: (i) => variantOf(corpus.photo12mp, 1e6 + c * 1e3 + i),
        }),
      );
      (results['service /v1/images: 3 widths, sink S3'] ??= []).push(
        await runLoad({
          url: `${url}/v1/images?widths=320,640,1280&format=jpeg`,
          concurrency: c,
          requests: n,
          body: (i) => variantOf(corpus.photo12mp, 2e6 + c * 1e3 + i),
        }),
      );
      log(`level ${c}: service done (peak RSS so far ${server.memory().peakMiB.toFixed(0)} MiB)`);
    }
  });

  // 6. Dedupe: the same upload again (a hit: no decoding) against a miss, on a real S3 server.
  const s3 = await startS3({ bucket: 'bench' });
  const dedupe = await withService(
    { ...s3.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
    async (url) => {
      const miss = await runLoad({
        url: `${url}/v1/images?widths=320,640,1280`,
        concurrency: 1,
        requests: 10,
        body: (i) => variantOf(corpus.photo12mp, 3e6 + i),
      });
      const hit = await runLoad({
        url: `${url}/v1/images?widths=320,640,1280`,
        concurrency: 1,
        requests: 30,
        body: () => variantOf(corpus.photo12mp, 3e6),
      });
      return { miss, hit };
    },
  );
  await s3.stop();
  log('dedupe done');

  // 5. Memory: 16 concurrent ~20 MB uploads, the service against the naive baseline.
  const burst = async (url: string, body: (i: number) => { data: Buffer; type: string }) =>
    Promise.all(
      Array.from({ length: 16 }, (_, i) => {
        const { data, type } = body(i);
        return fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body: data }).then(
          (r) => r.status,
        );
      }),
    );
  const serviceMemory = await withService(sinkEnv, async (url, server) => {
    const before = server.memory().rssMiB;
    const statuses = await burst(`${url}/v1/images?widths=320,640,1280&format=jpeg`, (i) => ({
      data: variantOf(corpus.jpeg20mb, i),
      type: 'image/jpeg',
    }));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return { statuses, before, ...server.memory() };
  });
  const naive = await startNaiveServer();
  const naiveStatuses = await burst(`${naive.url}/resize?widths=320,640,1280`, (i) =>
    multipart(variantOf(corpus.jpeg20mb, i)),
  );
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const naiveMemory = { statuses: naiveStatuses, ...naive.memory() };
  await naive.stop();
  log('memory done');

  await sink.close();
  const report = {
    when: new Date().toISOString(),
    quick,
    serviceEnv,
    machine: await machine(),
    corpusBytes: Object.fromEntries(
      Object.entries(corpus).map(([k, v]) => [k, (v as Buffer).length]),
    ),
    results,
    dedupe,
    memory: { service: serviceMemory, naive: naiveMemory, uploadBytes: corpus.jpeg20mb.length },
    seconds: (Date.now() - started) / 1000,
  };
  const dir = path.join(__dirname, 'results');
  await mkdir(dir, { recursive: true });
  const stamp = report.when.replace(/[:.]/g, '-');
  await writeFile(path.join(dir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdown(report);
  await writeFile(path.join(dir, `${stamp}.md`), markdown);
  await writeFile(path.join(dir, 'latest.md'), markdown);
  await writeFile(path.join(dir, 'throughput.svg'), renderChart(results));
  log(markdown);
  log(`bench: done in ${report.seconds.toFixed(0)} s; results in bench/results/${stamp}.{json,md}`);
}

async function machine() {
  const os = await import('node:os');
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
  };
}

void main();
