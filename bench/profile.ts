/**
 * Where the service's main thread spends its time under load (`npm run bench:profile`): runs
 * `node --cpu-prof dist/server.js` against the S3 sink, 300 multipart uploads to /v1/resize at
 * concurrency 8 (`-- --images`: to /v1/images, 3 widths, all misses; `-- --dedupe`: the same
 * upload to /v1/images 300 times at concurrency 1, the dedupe hit path), then prints the
 * heaviest functions by self time, GC and idle. The profile is left in
 * bench/results/profile-latest.cpuprofile (not committed; open it in Chrome DevTools or
 * speedscope).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeCorpus, uploadOf } from './lib/corpus';
import { runLoad } from './lib/load';
import { MULTIPART_TYPE, multipartParts } from './lib/naive';
import { processCpuSeconds } from './lib/proc';
import { imageProcessEnv } from '../test/support/config-files';
import { startSinkS3 } from './lib/sink-s3';
import { startServerProcess } from '../test/support/server-process';
import { ROUTES } from './lib/routes';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

// Who a sample belongs to, counted once per sample however deep: a package, or our own code.
const owner = (url: string) =>
  /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(url)?.[1] ??
  (url.includes('/dist/') ? `service ${url.split('/dist/')[1] ?? ''}` : undefined);
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function main() {
  const dedupe = process.argv.includes('--dedupe');
  const images = dedupe || process.argv.includes('--images');
  const corpus = await makeCorpus();
  const sink = await startSinkS3({ remember: dedupe });
  const dir = path.join(__dirname, 'results');
  const server = startServerProcess(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      S3_ENDPOINT: sink.endpoint,
      S3_BUCKET: 'bench',
      S3_FORCE_PATH_STYLE: 'true',
      ...imageProcessEnv(),
    },
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=profile-latest.cpuprofile'],
  );
  const url = await server.waitForListening();
  const load = await runLoad({
    url: images ? `${url}/v1/images?widths=320,640,1280` : `${url}${ROUTES.resize}`,
    concurrency: dedupe ? 1 : 8,
    requests: 300,
    // A multipart upload, as clients send it (and as the peer comparison does).
    body: (i) => multipartParts(uploadOf(corpus.photo12mp, dedupe ? 7e6 : 7e6 + i)),
    contentType: MULTIPART_TYPE,
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
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const micros = profile.timeDeltas[i] ?? 0;
    total += micros;
    if (!frame) return;
    const owners = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parentOf.get(n)) {
      const who = owner(byId.get(n)?.callFrame.url ?? '');
      if (who) owners.add(who);
    }
    for (const who of owners) inclusive.set(who, (inclusive.get(who) ?? 0) + micros);
    const where = frame.url
      ? ` ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber}`
      : '';
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + micros);
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `${load.requests} requests, ${load.throughput.toFixed(1)}/s, p50 ${load.p50.toFixed(1)} ms; server CPU ${load.cpuMs.server?.toFixed(1)} ms/request`,
  );
  out(`main thread, ${(total / 1e6).toFixed(1)} s sampled; heaviest by self time:`);
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([key, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
  top(self).forEach(out);
  out('including what they call, by package or service file:');
  top(inclusive).forEach(out);
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
