import { once } from 'node:events';
import { createServer } from 'node:http';

/**
 * An "S3" that costs almost nothing: every object is missing (HEAD 404), every PUT succeeds and
 * its body is discarded, the bucket exists. Lets a benchmark measure the service's own overhead.
 */
export async function startSinkS3() {
  let puts = 0;
  const server = createServer((req, res) => {
    const objectPath = (req.url ?? '/').split('?')[0]!.split('/').filter(Boolean);
    if (req.method === 'PUT') {
      req.resume();
      req.on('end', () => {
        puts++;
        res.writeHead(200, { ETag: '"sink"' }).end();
      });
      return;
    }
    req.resume();
    // HEAD /bucket answers 200 (readiness); HEAD /bucket/key 404 (nothing is ever stored).
    res.writeHead(req.method === 'HEAD' && objectPath.length <= 1 ? 200 : 404).end();
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    puts: () => puts,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
