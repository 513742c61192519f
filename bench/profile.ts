/**
 * Where the service's main thread spends its time under load (`npm run bench:profile`): runs
 * `node --cpu-prof dist/server.js` against the S3 sink, 300 uploads to /v1/resize at
 * concurrency 8, then prints the heaviest functions by self time, GC and idle shares. The
 * profile is left in bench/results/profile-latest.cpuprofile (not committed; open it in Chrome
 * DevTools or speedscope).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeCorpus, variantOf } from './lib/corpus';
import { processCpuSeconds, runLoad } from './lib/load';
import { startSinkS3 } from './lib/sink-s3';
import { startServerProcess } from '../test/support/server-process';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function main() {
  const corpus = await makeCorpus();
  const sink = await startSinkS3();
  const dir = path.join(__dirname, 'results');
  const server = startServerProcess(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      S3_ENDPOINT: sink.endpoint,
      S3_BUCKET: 'bench',
      S3_FORCE_PATH_STYLE: 'true',
      S3_CHECKSUMS: 'WHEN_REQUIRED',
      MALLOC_ARENA_MAX: '2',
    },
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=profile-latest.cpuprofile'],
  );
  const url = await server.waitForListening();
  const load = await runLoad({
    url: `${url}/v1/resize?widths=800&format=jpeg&quality=80`,
    concurrency: 8,
    requests: 300,
    body: (i) => variantOf(corpus.photo12mp, 7e6 + i),
    serverCpu: () => processCpuSeconds(server.child.pid!),
  });
  // SIGINT lets Node write the profile on the way out.
  server.child.kill('SIGINT');
  await server.exited;
  await sink.close();

  const profile = JSON.parse(
    await readFile(path.join(dir, 'profile-latest.cpuprofile'), 'utf8'),
  ) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const micros = profile.timeDeltas[i] ?? 0;
    total += micros;
    if (!frame) return;
    const where = frame.url
      ? ` ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber}`
      : '';
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + micros);
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `${load.requests} requests, ${load.throughput.toFixed(1)}/s; server CPU ${load.cpuMs.server?.toFixed(1)} ms/request`,
  );
  out(`main thread, ${(total / 1e6).toFixed(1)} s sampled; heaviest by self time:`);
  for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    out(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
