/**
 * What one S3 request costs this process (`npx tsx bench/s3-request-cost.ts`, ~15 s): a HEAD of
 * an existing object through the service's S3 adapter (the AWS SDK: middleware, endpoint rules,
 * SigV4 signing), the same HEAD through the SDK with its middleware cache on and no abort signal
 * (what the adapter cannot use, see src/storage/s3-image-store.ts), and a bare unsigned HEAD with
 * node:http, all against the benchmark's S3 sink in this process, one at a time, in alternating
 * rounds. CPU per request includes the sink's share, which is the same for all three.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Agent, request } from 'node:http';
import { median } from './lib/load';
import { startSinkS3 } from './lib/sink-s3';
import { createS3Client, createS3ImageStore } from '../src/storage/s3-image-store';

const REQUESTS = 3000;
const ROUNDS = 3;
const BUCKET = 'bench';
const KEY = 'a/record';

async function cpuPerRequest(send: () => Promise<unknown>) {
  for (let i = 0; i < 300; i++) await send(); // warm: V8 compiles the path, sockets open
  const start = process.cpuUsage();
  const t = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) await send();
  const used = process.cpuUsage(start);
  return {
    cpu: (used.user + used.system) / 1000 / REQUESTS,
    wall: Number(process.hrtime.bigint() - t) / 1e6 / REQUESTS,
  };
}

async function main() {
  const sink = await startSinkS3({ remember: true });
  // The sink checks no signature; the SDK only needs something to sign with.
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  const s3 = {
    region: 'us-east-1',
    endpoint: sink.endpoint,
    forcePathStyle: true,
  };
  const client = createS3Client({
    ...s3,
    bucket: BUCKET,
    checksums: 'WHEN_SUPPORTED',
    timeoutMs: 5000,
    maxAttempts: 3,
  });
  const store = createS3ImageStore(client, BUCKET);
  await store.put({
    key: KEY,
    body: Buffer.alloc(0),
    contentType: 'application/octet-stream',
    cacheControl: 'no-cache',
    metadata: { variants: 'w320-q80.jpg=320x240:20000' },
    overwrite: true,
  });
  const cached = new S3Client({ ...s3, cacheMiddleware: true });
  const agent = new Agent({ keepAlive: true });
  const bare = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${sink.endpoint}/${BUCKET}/${KEY}`, { method: 'HEAD', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  const sides: [string, () => Promise<unknown>][] = [
    ['HEAD through the S3 adapter (the SDK, with an abort signal)', () => store.head(KEY)],
    [
      'HEAD through the SDK, cacheMiddleware, no abort signal',
      () => cached.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY })),
    ],
    ['HEAD with node:http, unsigned', bare],
  ];
  const results = new Map<string, { cpu: number; wall: number }[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...sides].reverse() : sides;
    for (const [name, send] of order) {
      const r = await cpuPerRequest(send);
      results.set(name, [...(results.get(name) ?? []), r]);
      process.stdout.write(`round ${round + 1} ${name}: ${r.cpu.toFixed(3)} ms CPU\n`);
    }
  }
  process.stdout.write(
    `\nmedians of ${ROUNDS} rounds of ${REQUESTS} requests, one at a time; CPU ms per request (this process: client and sink)\n` +
      `| request | CPU ms | wall ms |\n| --- | --- | --- |\n`,
  );
  for (const [name, rounds] of results) {
    const cpu = median(rounds.map((r) => r.cpu)).toFixed(3);
    const wall = median(rounds.map((r) => r.wall)).toFixed(3);
    process.stdout.write(`| ${name} | ${cpu} | ${wall} |\n`);
  }
  client.destroy();
  cached.destroy();
  agent.destroy();
  await sink.close();
}

void main();
