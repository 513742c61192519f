/**
 * What sending an upload costs the load generator (`npx tsx bench/send-cost.ts`, ~2 min): the
 * built service, /v1/resize at concurrency 8 into the sink, fed the same distinct uploads two
 * ways in alternating rounds: each body made whole before the clock (as the benchmark did until
 * 2026-12-03), and each body as its distinct start plus the photo's rest shared by all
 * (bench/lib/corpus.ts, `uploadOf`, as it does since). The bytes on the wire are the same; what
 * differs is how much memory the generator's kernel copies out of that it has not touched lately.
 */
import { makePhoto12mp, uploadOf, variantOf } from './lib/corpus';
import { median, runLoad, type Body, type LoadResult } from './lib/load';
import { processCpuSeconds } from './lib/proc';
import { ROUTES } from './lib/routes';
import { withService } from './lib/service';
import { startSinkS3 } from './lib/sink-s3';

const ROUNDS = 6;
const REQUESTS = 200;

async function main() {
  const photo12mp = await makePhoto12mp();
  const sides: [string, (n: number) => Body][] = [
    ['bodies made whole', (n) => variantOf(photo12mp, n)],
    ['distinct start, shared rest', (n) => uploadOf(photo12mp, n)],
  ];
  const sink = await startSinkS3();
  const results = new Map<string, LoadResult[]>();
  await withService({ S3_ENDPOINT: sink.endpoint, S3_BUCKET: 'bench' }, async (url, server) => {
    let seed = 1e6;
    const run = (body: (n: number) => Body, requests: number) => {
      const from = (seed += 1e4);
      return runLoad({
        url: url + ROUTES.resize,
        concurrency: 8,
        requests,
        body: (i) => body(from + i),
        serverCpu: () => processCpuSeconds(server.child.pid!),
      });
    };
    await run(sides[0]![1], 64); // warm: V8 compiles the path, libvips starts its threads
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, body] of round % 2 ? [...sides].reverse() : sides) {
        const r = await run(body, REQUESTS);
        results.set(name, [...(results.get(name) ?? []), r]);
        const cpu = `service ${r.cpuMs.server?.toFixed(1)}, generator ${r.cpuMs.client.toFixed(2)} ms`;
        process.stdout.write(`round ${round + 1} ${name}: ${r.throughput.toFixed(1)}/s, ${cpu}\n`);
      }
    }
  });
  await sink.close();
  process.stdout.write(
    `\nmedians of ${ROUNDS} alternating rounds of ${REQUESTS} uploads to ${ROUTES.resize} at c=8; CPU ms per request\n` +
      '| bodies | requests/s | service | load generator | of which system |\n| --- | --- | --- | --- | --- |\n',
  );
  for (const [name, rounds] of results) {
    const m = (f: (r: LoadResult) => number) => median(rounds.map(f));
    process.stdout.write(
      `| ${name} | ${m((r) => r.throughput).toFixed(1)} | ${m((r) => r.cpuMs.server ?? NaN).toFixed(1)} | ` +
        `${m((r) => r.cpuMs.client).toFixed(2)} | ${m((r) => r.cpuMs.clientSystem).toFixed(2)} |\n`,
    );
  }
}

void main();
