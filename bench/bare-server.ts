/**
 * The floor of any image service in Node on this machine: node:http and the ceiling's own sharp
 * work (bench/lib/raw-sharp.ts), nothing else. It reads the body into one buffer of its
 * Content-Length (a JPEG, or multipart with one file, found by its boundary; the load generator
 * always sends a length), resizes it to 800 px and sends the JPEG back: no validation, limits,
 * logging, metrics or back-pressure. The distance from raw sharp to it is what HTTP costs in
 * Node with the load generator on the same cores; from it to the service, what the service's own
 * code costs. Only for the benchmark; it is not part of the service.
 *   node --import tsx bench/bare-server.ts   -> prints {"port":N} once listening
 */
import { createServer, type IncomingMessage } from 'node:http';
import { rawSharp } from './lib/raw-sharp';

/** The body in one buffer of its declared length, each chunk copied in once as it arrives. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.allocUnsafe(Number(req.headers['content-length'] ?? 0));
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.copy(body, length)));
    req.on('error', reject);
    req.on('end', () => {
      const boundary = /boundary=(.+)$/.exec(req.headers['content-type'] ?? '')?.[1];
      if (!boundary) return resolve(body.subarray(0, length));
      const start = body.indexOf('\r\n\r\n', body.indexOf(`--${boundary}`)) + 4;
      resolve(body.subarray(start, body.lastIndexOf(`\r\n--${boundary}`)));
    });
  });
}

const server = createServer((req, res) => {
  readBody(req)
    .then((input) => rawSharp(input, [800]))
    .then(([jpeg]) => {
      res.writeHead(200, { 'Content-Type': 'image/jpeg' });
      res.end(jpeg);
    })
    .catch((err: unknown) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`,
  );
});
