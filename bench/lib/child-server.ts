import { spawn, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/**
 * Starts a benchmark peer in its own process, `node <args>`, which prints {"port":N} on its first
 * line once listening (bench/ipx-server.mjs, bench/bare-server.ts).
 */
export async function startChildServer(args: string[], options: SpawnOptions = {}) {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
