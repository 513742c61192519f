/**
 * How often V8 collects the service's heap under load, and why (`npm run bench:gc [-- --env
 * VAR=value] [--node-flags='<flags>']`, ~30 s with the build): runs `node <flags> --trace-gc
 * --trace-incremental-marking dist/server.js` against the S3 sink, 32 warm-up then 200 uploads
 * to /v1/resize at concurrency 8, and prints throughput, CPU per request, mark-compacts with
 * their pause and incremental time per request, what started each marking, and the process's
 * peak RSS. docs/performance.md ("Garbage collection") quotes it.
 */
import { parseArgs } from 'node:util';
import { makeCorpus, uploadOf } from './lib/corpus';
import { runLoad } from './lib/load';
import { processCpuSeconds } from './lib/proc';
import { MULTIPART_TYPE, multipartParts } from './lib/naive';
import { envFromPairs, withService } from './lib/service';
import { startSinkS3 } from './lib/sink-s3';
import type { ServerProcess } from '../test/support/server-process';
import { ROUTES } from './lib/routes';

const REQUESTS = 200;

/** Mark-compacts in a --trace-gc log: how many, their time, and what started each marking. */
function compactions(log: string[]) {
  let count = 0;
  let pauseMs = 0;
  let incrementalMs = 0;
  const startedBy = new Map<string, number>();
  for (const line of log) {
    const start = /\[IncrementalMarking\] Start \(([^)]*)\)/.exec(line)?.[1];
    if (start) startedBy.set(start, (startedBy.get(start) ?? 0) + 1);
    if (!/Mark-Compact/.test(line)) continue;
    count++;
    pauseMs += Number(/, ([\d.]+) \/ [\d.]+ ms/.exec(line)?.[1] ?? 0);
    incrementalMs += Number(/\+ ([\d.]+) ms in \d+ steps/.exec(line)?.[1] ?? 0);
  }
  return { count, pauseMs, incrementalMs, startedBy };
}

async function main() {
  const { values } = parseArgs({
    options: {
      env: { type: 'string', multiple: true, default: [] },
      'node-flags': { type: 'string', default: '' },
    },
  });
  const flags = values['node-flags'].split(' ').filter(Boolean);
  const env = envFromPairs(values.env);
  const corpus = await makeCorpus();
  const sink = await startSinkS3();
  const photo = (i: number) => uploadOf(corpus.photo12mp, i);
  const measure = async (base: string, server: ServerProcess) => {
    const load = (from: number, requests: number) =>
      runLoad({
        url: `${base}${ROUTES.resize}`,
        concurrency: 8,
        requests,
        body: (i) => multipartParts(photo(from + i)),
        contentType: MULTIPART_TYPE,
        serverCpu: () => processCpuSeconds(server.child.pid!),
      });
    await load(1e6, 32);
    const before = server.output().stdout.split('\n').length;
    const r = await load(0, REQUESTS);
    const gc = compactions(server.output().stdout.split('\n').slice(before));
    const per = (ms: number) => (ms / REQUESTS).toFixed(2);
    return [
      `flags: ${flags.join(' ') || '(none)'}; settings: ${values.env.join(' ') || '(defaults)'}`,
      `${r.throughput.toFixed(1)} images/s, server CPU ${r.cpuMs.server?.toFixed(1)} ms per request, peak RSS ${server.memory().peakMiB.toFixed(0)} MiB`,
      `${gc.count} mark-compacts: pauses ${per(gc.pauseMs)} + incremental ${per(gc.incrementalMs)} ms per request`,
      `marking started by: ${[...gc.startedBy].map(([why, n]) => `${why} x${n}`).join(', ')}`,
      '',
    ].join('\n');
  };
  const report = await withService(
    { S3_ENDPOINT: sink.endpoint, S3_BUCKET: 'bench', ...env },
    measure,
    [...flags, '--trace-gc', '--trace-incremental-marking'],
  );
  process.stdout.write(report);
  await sink.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`gc-trace failed: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
