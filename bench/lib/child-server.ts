import { spawn, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/**
 * Starts a benchmark peer in its own process, `node <args>`, which prints {"port":N} on its first
 * line once listening on a port of its choosing (bench/ipx-server.mjs, bench/bare-server.ts,
 * bench/naive-server.ts). A child that exits first fails the start instead of hanging it.
 */
export async function startChildServer(args: string[], options: SpawnOptions = {}) {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout }), 'line'),
    exited.then(([code]) => {
      throw new Error(`node ${args.join(' ')} exited (${String(code)}) before listening`);
    }),
  ])) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
