/**
 * How often V8 collects the service's heap under load, and why (`npm run bench:gc [-- '<node
 * flags>']`, ~30 s with the build): runs `node <flags> --trace-gc --trace-incremental-marking
 * dist/server.js` against the S3 sink, 32 warm-up then 200 uploads to /v1/resize at concurrency
 * 8, and prints throughput, CPU per request, mark-compacts with their pause and incremental
 * time per request, what started each marking, and the process's peak RSS. docs/performance.md
 * ("Why the heap is collected so often") quotes it.
 */
import { makeCorpus, variantOf } from './lib/corpus';
import { processCpuSeconds, runLoad } from './lib/load';
import { multipart } from './lib/naive';
import { startSinkS3 } from './lib/sink-s3';
import { startServerProcess } from '../test/support/server-process';

async function main() {
  const flags = (process.argv[2] ?? '').split(' ').filter(Boolean);
  const corpus = await makeCorpus();
  const sink = await startSinkS3();
  const server = startServerProcess(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      MAX_QUEUED_JOBS: '64',
      MAX_QUEUE_WAIT_MS: '30000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_CHECKSUMS: 'WHEN_REQUIRED',
      MALLOC_ARENA_MAX: '2',
      LOG_LEVEL: 'info',
      S3_ENDPOINT: sink.endpoint,
      S3_BUCKET: 'bench',
    },
    [...flags, '--trace-gc', '--trace-incremental-marking'],
  );
  const url = `${await server.waitForListening()}/v1/resize?widths=800&format=jpeg&quality=80`;
  const photo = (i: number) => variantOf(corpus.photo12mp, i);
  const load = (from: number, requests: number) =>
    runLoad({
      url,
      concurrency: 8,
      requests,
      body: (i) => multipart(photo(from + i)).data,
      contentType: multipart(photo(0)).type,
      serverCpu: () => processCpuSeconds(server.child.pid!),
    });
  await load(1e6, 32);
  const before = server.output().stdout.split('\n').length;
  const requests = 200;
  const r = await load(0, requests);
  let compactions = 0;
  let pauseMs = 0;
  let incrementalMs = 0;
  const startedBy = new Map<string, number>();
  for (const line of server.output().stdout.split('\n').slice(before)) {
    const start = /\[IncrementalMarking\] Start \(([^)]*)\)/.exec(line)?.[1];
    if (start) startedBy.set(start, (startedBy.get(start) ?? 0) + 1);
    if (!/Mark-Compact/.test(line)) continue;
    compactions++;
    pauseMs += Number(/, ([\d.]+) \/ [\d.]+ ms/.exec(line)?.[1] ?? 0);
    incrementalMs += Number(/\+ ([\d.]+) ms in \d+ steps/.exec(line)?.[1] ?? 0);
  }
  const per = (ms: number) => (ms / requests).toFixed(2);
  process.stdout.write(
    [
      `flags: ${flags.join(' ') || '(none)'}`,
      `${r.throughput.toFixed(1)} images/s, server CPU ${r.cpuMs.server?.toFixed(1)} ms per request, peak RSS ${server.memory().peakMiB.toFixed(0)} MiB`,
      `${compactions} mark-compacts: pauses ${per(pauseMs)} + incremental ${per(incrementalMs)} ms per request`,
      `marking started by: ${[...startedBy].map(([why, n]) => `${why} x${n}`).join(', ')}`,
      '',
    ].join('\n'),
  );
  server.child.kill('SIGKILL');
  await server.exited;
  await sink.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`gc-trace failed: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
