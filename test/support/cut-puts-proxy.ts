import { createServer, connect, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from './listen';

/**
 * A proxy in front of a real S3 server that cuts every PUT off after its headers and a few
 * body bytes, the way a dying network or load balancer would.
 */
export async function cutPutsProxy(
  target: URL,
): Promise<{ endpoint: string; puts: () => number; close: () => Promise<void> }> {
  let puts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => {
      if (chunk.subarray(0, 4).toString('latin1') === 'PUT ') {
        puts++;
        const headEnd = chunk.indexOf('\r\n\r\n');
        upstream.write(chunk.subarray(0, headEnd >= 0 ? headEnd + 4 + 10 : chunk.length));
        setTimeout(() => {
          upstream.destroy();
          client.destroy();
        }, 20);
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  const { url } = await listenOnLoopback(server);
  return {
    endpoint: url,
    puts: () => puts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
