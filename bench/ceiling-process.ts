/**
 * The raw-sharp ceiling (bench/lib/raw-sharp.ts: the service's sharp work for one 800 px
 * request) in a process of its own, with the Node settings of the service's container image, for
 * `npm run bench:ab -- --ceiling`: there its CPU by thread reads beside the service's and the
 * floor's, measured the same way, with no load generator in its process. Commands on stdin, one
 * per line: `prepare N` makes N distinct inputs (before any clock; answers `ready`), `run C` does
 * them at concurrency C (answers the LoadResult as JSON).
 *   node --import tsx bench/ceiling-process.ts
 */
import { createInterface } from 'node:readline';
import { makePhoto12mp, variantOf } from './lib/corpus';
import { runInProcess } from './lib/load';
import { rawSharp } from './lib/raw-sharp';

async function main() {
  const photo12mp = await makePhoto12mp();
  let inputs: Buffer[] = [];
  let seed = 2e7;
  const answer = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  answer('ready');
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, value] = line.split(' ');
    const n = Number(value);
    if (command === 'prepare') {
      inputs = Array.from({ length: n }, (_, i) => variantOf(photo12mp, seed + i));
      seed += n;
      answer('ready');
    } else if (command === 'run') {
      const result = await runInProcess({
        concurrency: n,
        requests: inputs.length,
        input: (i) => inputs[i]!,
        work: (x) => rawSharp(x, [800]),
      });
      inputs = [];
      answer(result);
    } else {
      throw new Error(`ceiling-process: unknown command "${line}"`);
    }
  }
}

void main();
