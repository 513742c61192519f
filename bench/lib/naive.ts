import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { memoryOf } from '../../test/support/server-process';

const root = path.join(__dirname, '..', '..');

/** Runs bench/naive-server.ts as its own process (through tsx), for its memory and latency. */
export async function startNaiveServer(port = 4100) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/naive-server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => c.toString().includes('listening') && resolve());
    child.once('exit', () => reject(new Error('naive server exited')));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    memory: () => memoryOf(child.pid!),
    async stop() {
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** A multipart/form-data body with one file field `image`. */
export function multipart(file: Buffer): { data: Buffer; type: string } {
  const boundary = 'bench-boundary-7d1f';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    data: Buffer.concat([head, file, tail]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}
