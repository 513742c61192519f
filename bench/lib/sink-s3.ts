import { createServer, type OutgoingHttpHeaders } from 'node:http';
import { listenOnLoopback } from '../../test/support/listen';

/**
 * An "S3" that costs almost nothing, so a benchmark measures the service's own overhead. The
 * bucket exists; a PUT's body is discarded but its size and x-amz-meta-* headers are kept when
 * `remember` is on (HEAD then finds the object, for the dedupe scenario); otherwise every object
 * stays missing (HEAD 404), so every upload is a miss.
 */
export async function startSinkS3({ remember = false } = {}) {
  const objects = new Map<string, OutgoingHttpHeaders>();
  const server = createServer((req, res) => {
    const objectPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'PUT') {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => {
        if (remember) {
          const meta = Object.entries(req.headers).filter(([k]) => k.startsWith('x-amz-meta-'));
          objects.set(objectPath, { ...Object.fromEntries(meta), 'x-bench-length': bytes });
        }
        res.writeHead(200, { ETag: '"sink"' }).end();
      });
      return;
    }
    req.resume();
    const isBucket = objectPath.split('/').filter(Boolean).length <= 1;
    const stored = objects.get(objectPath);
    // Content-Length: 0 on every answer, or the SDK's client cannot reuse the connection.
    if (req.method === 'HEAD' && stored) {
      const { 'x-bench-length': length, ...meta } = stored;
      res.writeHead(200, { ...meta, 'Content-Length': String(length), ETag: '"sink"' }).end();
    } else {
      res.writeHead(req.method === 'HEAD' && isBucket ? 200 : 404, { 'Content-Length': '0' }).end();
    }
  });
  server.keepAliveTimeout = 60_000;
  const { url } = await listenOnLoopback(server);
  return {
    endpoint: url,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
