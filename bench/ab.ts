/**
 * A/B of service settings (`npm run bench:ab -- 'V8_HEAP_GROWING_PERCENT=0' ''`, ~3 min): one
 * service per argument (a comma list of VAR=value; '' is the defaults), all running at once,
 * the same multipart load to /v1/resize (12 MP -> 800 px JPEG, c=8) in alternating rounds, and
 * the service's CPU per request by thread: the main thread, libuv's pool and libvips' workers
 * (sharp's work), the rest (V8's GC and compiler helpers), and system time of them all. Sharp's
 * share moves by ±10% with this machine's noise; the overhead (main, other, system) is where a
 * setting of the service shows, and there a millisecond stands out. docs/performance.md quotes it.
 *   --rounds N (4)  --requests N (200 per round)  --concurrency N (8)
 *   --ipx: unjs/ipx as one more side, the same resize (bench/lib/ipx-peer.ts)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { makeCorpus, variantOf } from './lib/corpus';
import { startIpx } from './lib/ipx-peer';
import { runLoad, type LoadResult } from './lib/load';
import { multipart } from './lib/naive';
import { envFromPairs, withService } from './lib/service';
import { startSinkS3 } from './lib/sink-s3';
import type { ServerProcess } from '../test/support/server-process';

const GROUPS = ['main', 'libuv', 'libvips', 'other', 'system'] as const;
type Usage = Record<(typeof GROUPS)[number], number>;

/** CPU ms used so far by each thread group of a process (Linux: /proc/<pid>/task/*). */
function threadUsage(pid: number): Usage {
  const usage: Usage = { main: 0, libuv: 0, libvips: 0, other: 0, system: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // utime and stime, in clock ticks of 10 ms (see processCpuSeconds in lib/load.ts).
    const [utime, stime] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 13);
    const group =
      Number(tid) === pid
        ? 'main'
        : name === 'libuv-worker'
          ? 'libuv'
          : name.startsWith('libvips')
            ? 'libvips'
            : 'other';
    usage[group] += Number(utime) * 10;
    usage.system += Number(stime) * 10;
  }
  return usage;
}

/** Runs `run` with every service started (withService for each, nested). */
function withServices<T>(
  envs: Record<string, string>[],
  run: (started: { url: string; server: ServerProcess }[]) => Promise<T>,
): Promise<T> {
  const [first, ...rest] = envs;
  if (!first) return run([]);
  return withService(first, (url, server) =>
    withServices(rest, (others) => run([{ url, server }, ...others])),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Side {
  label: string;
  pid: number;
  load(requests: number): Promise<LoadResult>;
}

/** Peak resident memory (VmHWM) of a process, in MiB (Linux). */
const peakMiB = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '4' },
      requests: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '8' },
      ipx: { type: 'boolean', default: false },
    },
  });
  const specs = positionals.length > 0 ? positionals : [''];
  const [rounds, requests, concurrency] = [values.rounds, values.requests, values.concurrency].map(
    Number,
  ) as [number, number, number];
  const corpus = await makeCorpus();
  const sink = await startSinkS3();
  const sinkEnv = { S3_ENDPOINT: sink.endpoint, S3_BUCKET: 'bench' };
  const photo = (i: number) => variantOf(corpus.photo12mp, i);
  // The peer (--ipx), the same resize as GETs of files it reads from disk (bench/lib/ipx-peer.ts).
  const ipx = values.ipx ? await startIpx(photo, 64) : undefined;
  let next = 0;
  const serviceSide = (label: string, url: string, server: ServerProcess): Side => ({
    label: label || '(defaults)',
    pid: server.child.pid!,
    load: (count) =>
      runLoad({
        url: `${url}/v1/resize?widths=800&format=jpeg&quality=80`,
        concurrency,
        requests: count,
        body: (i) => multipart(photo(next + i)).data,
        contentType: multipart(corpus.photo12mp).type,
      }).finally(() => (next += count)),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  await withServices(
    specs.map((spec) => ({ ...sinkEnv, ...envFromPairs(spec.split(',').filter(Boolean)) })),
    async (services) => {
      const sides = services.map(({ url, server }, i) => serviceSide(specs[i]!, url, server));
      if (ipx) {
        sides.push({
          label: 'unjs/ipx (GET, file on disk)',
          pid: ipx.pid,
          load: (count) => runLoad({ url: ipx.url, path: ipx.path, concurrency, requests: count }),
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
          const before = threadUsage(side.pid);
          const result = await side.load(requests);
          const after = threadUsage(side.pid);
          const cpu = Object.fromEntries(
            GROUPS.map((g) => [g, (after[g] - before[g]) / requests]),
          ) as Usage;
          results[i]!.push({ load: result, cpu });
          const cells = GROUPS.map((g) => `${g} ${cpu[g].toFixed(1)}`).join(', ');
          out(
            `round ${round + 1} ${side.label}: ${result.throughput.toFixed(1)} images/s; ${cells}`,
          );
        }
      }
      out('');
      out('medians; CPU ms per request by thread (overhead: main + other + system)');
      out('and of the load generator (client), which shares the cores');
      const header = [
        'side',
        'images/s',
        'p99 ms',
        ...GROUPS,
        'overhead',
        'client',
        'peak RSS MiB',
      ];
      out(`| ${header.join(' | ')} |`);
      out(`|${header.map(() => ' --- ').join('|')}|`);
      sides.forEach((side, i) => {
        const runs = results[i]!;
        type Run = (typeof runs)[number];
        const m = (pick: (r: Run) => number) => median(runs.map(pick)).toFixed(1);
        const overhead = (r: Run) => r.cpu.main + r.cpu.other + r.cpu.system;
        const cells = [
          m((r) => r.load.throughput),
          m((r) => r.load.p99),
          ...GROUPS.map((g) => m((r) => r.cpu[g])),
          m(overhead),
          m((r) => r.load.cpuMs.client),
          peakMiB(side.pid).toFixed(0),
        ];
        out(`| ${side.label} | ${cells.join(' | ')} |`);
      });
    },
  );
  await ipx?.stop();
  await sink.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`ab failed: ${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
