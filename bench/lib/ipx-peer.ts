import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startChildServer } from './child-server';

/**
 * Starts unjs/ipx (bench/ipx-server.mjs) in its own process, as a user would run it, with
 * `count` distinct photos on disk (photo-<i>.jpg), so that no answer comes from a cache, as
 * every upload to the service is distinct too. The benchmark process is the load generator of
 * both, so neither server shares its process with the client.
 */
export async function startIpx(photo: (i: number) => Buffer, count: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-ipx-'));
  for (let i = 0; i < count; i++) await writeFile(path.join(dir, `photo-${i}.jpg`), photo(i));
  const server = await startChildServer([path.join(__dirname, '..', 'ipx-server.mjs'), dir]);
  return {
    url: server.url,
    pid: server.pid,
    /** The same resize as the service's /v1/resize?widths=800&format=jpeg&quality=80. */
    path: (i: number) => `/w_800,q_80,f_jpeg/photo-${i % count}.jpg`,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
