/**
 * The benchmark harness: `npm run bench` (full, with the 10-minute soak) or
 * `npm run bench -- --quick` (under 3 minutes, no soak). Every scenario runs in this one
 * invocation so ratios compare like with like on a noisy machine. Writes
 * bench/results/<time>.json and .md, latest.md, and throughput.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startS3 } from '../test/support/s3-server';
import { makeCorpus, uploadOf } from './lib/corpus';
import { dedupeRuns } from './lib/dedupe-runs';
import { runLoad } from './lib/load';
import { measureMemory } from './lib/memory-burst';
import { runPeerRounds } from './lib/peer-rounds';
import { versions } from './lib/raw-sharp';
import { renderChart, renderMarkdown, SCENARIOS as S, type Report } from './lib/report';
import { imageProcessEnv } from '../test/support/config-files';
import { envFromPairs, withService } from './lib/service';
import { startSinkS3 } from './lib/sink-s3';
import { soak } from './lib/soak';
import { runSweep } from './lib/sweep';
import { ROUTES } from './lib/routes';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string) => args[args.indexOf(name) + 1];
// `--env NAME=value` (repeatable) sets service configuration, to compare tunings in one go.
const serviceEnv = envFromPairs(args.filter((_, i) => args[i - 1] === '--env'));
const soakSeconds = args.includes('--soak-seconds')
  ? Number(option('--soak-seconds'))
  : quick
    ? 0
    : 600;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  const started = Date.now();
  const corpus = await makeCorpus();
  const photo = (i: number) => uploadOf(corpus.photo12mp, i);
  const peer = await runPeerRounds({
    rounds: quick ? 3 : 5,
    levels: [2, 4, 8],
    requests: (c) => Math.max(quick ? 16 : 32, c * (quick ? 4 : 8)),
    photo,
    serviceEnv,
    log,
  });

  const sink = await startSinkS3();
  const sinkEnv = { S3_ENDPOINT: sink.endpoint, S3_BUCKET: 'bench', ...serviceEnv };
  const { results, targetRounds, notes } = await runSweep({
    levels: quick ? [1, 2, 4, 8] : [1, 2, 4, 8, 16],
    requests: (c) => Math.max(quick ? 12 : 24, c * (quick ? 4 : 8)),
    moreTargetRounds: quick ? 2 : 4,
    photo,
    env: sinkEnv,
    log,
  });

  // Dedupe on a sink that remembers what was written (the service's own cost), and on a real
  // S3 server for reference.
  const memorySink = await startSinkS3({ remember: true });
  const dedupeSink = await withService(
    { ...serviceEnv, S3_ENDPOINT: memorySink.endpoint, S3_BUCKET: 'bench' },
    (url) => dedupeRuns(url, photo, 4e6, quick ? 3 : 5),
  );
  await memorySink.close();

  // /v1/images into a real S3 server (s3rver, in this process: it competes for the same cores).
  const s3 = await startS3({ bucket: 'bench' });
  const onS3 = await withService({ ...serviceEnv, ...s3.env }, async (url) => ({
    realS3: await runLoad({
      url: `${url}${ROUTES.images}`,
      concurrency: 8,
      requests: quick ? 24 : 64,
      body: (i) => photo(3e6 + i),
    }),
    dedupeRealS3: await dedupeRuns(url, photo, 4.5e6, quick ? 3 : 5),
  }));
  await s3.stop();
  log('dedupe and real S3 done');

  // Memory: 16 concurrent ~24 MiB uploads, the same multipart requests to the service and to
  // the naive baseline.
  const memory = await measureMemory(corpus, sinkEnv);
  log('memory done');

  let soakResult: Report['soak'];
  if (soakSeconds > 0) {
    soakResult = await soak({
      seconds: soakSeconds,
      sweep: results[S.serviceThree] ?? [],
      env: sinkEnv,
      photo,
    });
    log('soak done');
  }
  await sink.close();

  const report: Report = {
    when: new Date().toISOString(),
    quick,
    serviceEnv,
    imageEnv: imageProcessEnv(),
    machine: {
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      ...versions(),
    },
    corpusBytes: Object.fromEntries(
      Object.entries(corpus).map(([k, v]) => [k, (v as Buffer).length]),
    ),
    results,
    ...onS3,
    dedupe: dedupeSink,
    peer,
    targetRounds,
    memory,
    soak: soakResult,
    notes,
    ceilingInterleaved: true,
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

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
