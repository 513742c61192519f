/**
 * A/B of service settings (`npm run bench:ab -- 'V8_HEAP_GROWING_PERCENT=0' ''`, ~3 min): one
 * service per argument (a comma list of VAR=value; '' is the defaults), all running at once,
 * the same multipart load (12 MP JPEG, c=8) in alternating rounds, and each process's CPU per
 * request by thread: the main thread, libuv's pool and libvips' workers (sharp's work), the
 * rest (V8's GC and compiler helpers), and system time of them all. Sharp's share moves by ±10%
 * with this machine's noise; the overhead (main, other, system) is where a setting of the
 * service shows, and there a millisecond stands out. docs/performance.md quotes it.
 *   --rounds N (4)  --requests N (200 per round)  --concurrency N (8; 1 for dedupe)
 *   --route resize|images|dedupe: /v1/resize to 800 px (default), /v1/images, 3 widths, into the
 *     sink, or dedupe: /v1/images with the same upload every time, i.e. hits (one miss per side
 *     in its first warm-up), at concurrency 1 as the benchmark's dedupe scenario
 *   --ipx: unjs/ipx as one more side, the same resize (bench/lib/ipx-peer.ts)
 *   --bare: node:http with the raw-sharp ceiling's work as one more side, the same resize: the
 *     floor of an HTTP service in Node here (bench/bare-server.ts)
 *   --ceiling: the raw-sharp ceiling in a process of its own (bench/ceiling-process.ts) as one
 *     more side, its CPU by thread measured the same way: where each thread group of the
 *     service and the floor spends more than sharp alone does
 *   --rev REV: one more side, another revision's build with the defaults, e.g. the commit
 *     before a change (`--rev HEAD~1`) to show what the change is worth (bench/lib/revision.ts)
 */
import { parseArgs } from 'node:util';
import { envSchema } from '../src/config/env-schema';
import { makeCorpus, uploadOf, variantOf, type BodyParts } from './lib/corpus';
import { startBareNode } from './lib/bare-node';
import { startCeilingProcess } from './lib/ceiling-process';
import { startIpx } from './lib/ipx-peer';
import { median, runLoad, type LoadResult } from './lib/load';
import { MULTIPART_TYPE, multipartParts } from './lib/naive';
import { GROUPS, cpuByGroup, type Usage } from './lib/proc';
import { envFromPairs, withService } from './lib/service';
import { buildRevision } from './lib/revision';
import { startSinkS3 } from './lib/sink-s3';
import { memoryOf, type ServerProcess } from '../test/support/server-process';
import { ROUTES } from './lib/routes';

/** A setting's name must be one the service reads (or the runtime's): a typo compares nothing. */
function settings(spec: string): Record<string, string> {
  const env = envFromPairs(spec.split(',').filter(Boolean));
  for (const name of Object.keys(env)) {
    if (!(name in envSchema.shape || /^(NODE|MALLOC)_/.test(name))) {
      throw new Error(`${name}: not a variable the service reads`);
    }
  }
  return env;
}

/** Runs `run` with every service started (withService for each, nested). */
function withServices<T>(
  services: { env: Record<string, string>; cwd?: string }[],
  run: (started: { url: string; server: ServerProcess }[]) => Promise<T>,
): Promise<T> {
  const [first, ...rest] = services;
  if (!first) return run([]);
  return withService(
    first.env,
    (url, server) => withServices(rest, (others) => run([{ url, server }, ...others])),
    [],
    first.cwd,
  );
}

interface Side {
  label: string;
  pid: number;
  load(requests: number): Promise<LoadResult>;
  /** Work to do before the CPU of the next `load(requests)` is measured. */
  prepare?(requests: number): Promise<unknown>;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '4' },
      requests: { type: 'string', default: '200' },
      concurrency: { type: 'string' },
      route: { type: 'string', default: 'resize' },
      ipx: { type: 'boolean', default: false },
      bare: { type: 'boolean', default: false },
      ceiling: { type: 'boolean', default: false },
      rev: { type: 'string' },
    },
  });
  const specs = positionals.length > 0 ? positionals : [''];
  const services: { label: string; env: Record<string, string>; cwd?: string }[] = specs.map(
    (spec) => ({ label: spec, env: settings(spec) }),
  );
  if (values.rev) {
    const { dir, commit } = buildRevision(values.rev);
    const short = commit.slice(0, 7);
    // With its defaults: a setting given here may not exist in that revision.
    const label = `${commit.startsWith(values.rev) ? short : `${values.rev} (${short})`}, defaults`;
    services.push({ label, env: {}, cwd: dir });
  }
  const dedupe = values.route === 'dedupe';
  const [rounds, requests, concurrency] = [
    values.rounds,
    values.requests,
    values.concurrency ?? (dedupe ? '1' : '8'),
  ].map(Number) as [number, number, number];
  const route = dedupe ? ROUTES.images : ROUTES[values.route as keyof typeof ROUTES];
  if (!route) throw new Error(`--route: resize, images or dedupe, not ${values.route}`);
  if ((values.ipx || values.bare || values.ceiling) && values.route !== 'resize') {
    throw new Error('--ipx, --bare and --ceiling: only with --route resize');
  }
  const corpus = await makeCorpus();
  const photo = (i: number) => uploadOf(corpus.photo12mp, i);
  // Hits need a sink that answers HEADs for what was written.
  const sink = await startSinkS3({ remember: dedupe });
  // The peer (--ipx): the same resize, GETs of files it reads from disk.
  const ipx = values.ipx ? await startIpx((i) => variantOf(corpus.photo12mp, i), 64) : undefined;
  const bare = values.bare ? await startBareNode() : undefined;
  const ceiling = values.ceiling ? await startCeilingProcess() : undefined;
  let next = 0;
  // The same multipart load for every side that takes uploads; dedupe sends `same` each time.
  const uploads =
    (url: string, same?: BodyParts) =>
    (count: number): Promise<LoadResult> =>
      runLoad({
        url,
        concurrency,
        requests: count,
        body: (i) => same ?? multipartParts(photo(next + i)),
        contentType: MULTIPART_TYPE,
      }).finally(() => (next += count));
  const serviceSide = (label: string, url: string, server: ServerProcess): Side => ({
    label: label || '(defaults)',
    pid: server.child.pid!,
    // One upload per side for dedupe, so every side pays its own miss.
    load: uploads(url + route, dedupe ? multipartParts(photo(1e7 + server.child.pid!)) : undefined),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const sinkEnv = { S3_ENDPOINT: sink.endpoint, S3_BUCKET: 'bench' };
  try {
    await withServices(
      services.map(({ env, cwd }) => ({ env: { ...sinkEnv, ...env }, cwd })),
      async (started) => {
        const sides = started.map(({ url, server }, i) =>
          serviceSide(services[i]!.label, url, server),
        );
        if (ipx) {
          sides.push({
            label: 'unjs/ipx (GET, file on disk)',
            pid: ipx.pid,
            load: (count) =>
              runLoad({ url: ipx.url, path: ipx.path, concurrency, requests: count }),
          });
        }
        if (bare) {
          sides.push({
            label: 'node:http + the ceiling (bare)',
            pid: bare.pid,
            load: uploads(`${bare.url}/`),
          });
        }
        if (ceiling) {
          let prepared = 0;
          sides.push({
            label: 'raw sharp in a process of its own (ceiling)',
            pid: ceiling.pid,
            prepare: (count) => ceiling.prepare((prepared = count)),
            async load(count) {
              if (prepared !== count) await ceiling.prepare(count);
              prepared = 0;
              // Its own CPU is the work measured; it has no load generator.
              return { ...(await ceiling.run(concurrency)), cpuMs: { client: 0, clientSystem: 0 } };
            },
          });
        }
        const results = sides.map(() => [] as { load: LoadResult; cpu: Usage }[]);
        for (let round = 0; round < rounds; round++) {
          // Alternate the order, so no side always runs first after another.
          const order = [...sides.keys()];
          if (round % 2) order.reverse();
          for (const i of order) {
            const side = sides[i]!;
            await side.load(16); // warm-up, not counted
            await side.prepare?.(requests);
            const before = cpuByGroup(side.pid);
            const result = await side.load(requests);
            const after = cpuByGroup(side.pid);
            // A side that answers errors fast would look cheap: only successes count (for
            // dedupe, only hits).
            const failed = Object.keys(result.statuses).filter(
              (s) => !(dedupe ? /^200$/ : /^20[01]$/).test(s),
            );
            if (failed.length > 0) {
              throw new Error(`${side.label}: statuses ${JSON.stringify(result.statuses)}`);
            }
            const cpu = Object.fromEntries(
              GROUPS.map((g) => [g, (after[g] - before[g]) / requests]),
            ) as Usage;
            results[i]!.push({ load: result, cpu });
            const cells = GROUPS.map((g) => `${g} ${cpu[g].toFixed(1)}`).join(', ');
            out(`round ${round + 1} ${side.label}: ${result.throughput.toFixed(1)}/s; ${cells}`);
          }
        }
        const what = dedupe ? `${route}, the same upload (hits)` : route;
        out(`\nmedians, ${what} at c=${concurrency}; CPU ms per request by thread`);
        out('(overhead: main + other + system) and of the load generator (client)');
        const header = ['side', 'requests/s', 'p50 ms', 'p99 ms', ...GROUPS, 'overhead', 'client'];
        out(`| ${[...header, 'peak / now RSS MiB'].join(' | ')} |`);
        out(`|${[...header, ''].map(() => ' --- ').join('|')}|`);
        sides.forEach((side, i) => {
          const m = (pick: (r: (typeof results)[number][number]) => number) =>
            median(results[i]!.map(pick)).toFixed(1);
          const { peakMiB, rssMiB } = memoryOf(side.pid);
          const cells = [
            m((r) => r.load.throughput),
            m((r) => r.load.p50),
            m((r) => r.load.p99),
            ...GROUPS.map((g) => m((r) => r.cpu[g])),
            m((r) => r.cpu.main + r.cpu.other + r.cpu.system),
            m((r) => r.load.cpuMs.client),
            `${peakMiB.toFixed(0)} / ${rssMiB.toFixed(0)}`,
          ];
          out(`| ${side.label} | ${cells.join(' | ')} |`);
        });
      },
    );
  } finally {
    await ipx?.stop();
    await bare?.stop();
    await ceiling?.stop();
    await sink.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ab failed: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
