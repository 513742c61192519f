import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { imageSettingsScript } from './bare-node';
import type { LoadResult } from './load';

/**
 * Starts bench/ceiling-process.ts (raw sharp in a process of its own, with the image's Node
 * settings, as the floor runs: imageSettingsScript) and drives it: `prepare` makes the next
 * run's inputs, outside any CPU measured around `run`.
 */
export async function startCeilingProcess() {
  const { args, options } = imageSettingsScript('bench/ceiling-process.ts');
  const child = spawn(process.execPath, args, { ...options, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (command?: string): Promise<unknown> => {
    if (command) child.stdin.write(`${command}\n`);
    const next = await Promise.race([lines.next(), exited.then(() => undefined)]);
    if (!next || next.done) throw new Error(`ceiling process exited (after "${command}")`);
    return JSON.parse(next.value);
  };
  await ask();
  return {
    pid: child.pid!,
    prepare: (requests: number) => ask(`prepare ${requests}`),
    run: async (concurrency: number) => (await ask(`run ${concurrency}`)) as LoadResult,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
