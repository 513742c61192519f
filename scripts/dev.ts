/**
 * `npm run dev`: the service plus an embedded S3 server (s3rver) in this one process, so a fresh
 * clone runs with no Docker and no cloud account. Dev only: it sets S3 variables and calls the
 * same main() as production; nothing here ships in dist/.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import sharp from 'sharp';
import { main } from '../src/server';

const S3_PORT = Number(process.env.DEV_S3_PORT ?? 4568);
const BUCKET = process.env.S3_BUCKET ?? 'images';
const dataDir = path.join(tmpdir(), 'image-resizer-dev');

async function sampleImage(file: string) {
  // A 12-megapixel "photo": smooth colour fields, like real photos compress.
  const seed = await sharp({
    create: {
      width: 80,
      height: 60,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .png()
    .toBuffer();
  await sharp(seed).resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 85 }).toFile(file);
}

async function dev() {
  await mkdir(path.join(dataDir, 's3'), { recursive: true });
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: S3_PORT,
    silent: true,
    directory: path.join(dataDir, 's3'),
    configureBuckets: [{ name: BUCKET }],
  });
  await s3.run();
  const s3Url = `http://localhost:${S3_PORT}`;

  // s3rver only accepts its own fixed credentials and cannot store flexible-checksum bodies.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.S3_ENDPOINT = s3Url;
  process.env.S3_BUCKET = BUCKET;
  process.env.S3_FORCE_PATH_STYLE = 'true';
  process.env.S3_CHECKSUMS = 'WHEN_REQUIRED';
  process.env.S3_PUBLIC_BASE_URL ??= `${s3Url}/${BUCKET}/`;

  const sample = path.join(dataDir, 'sample.jpg');
  await sampleImage(sample);
  const running = await main(process.env, {
    afterShutdown: async () => {
      s3.httpServer?.closeAllConnections();
      await s3.close();
    },
  });
  const address = running.server.address();
  const port = typeof address === 'object' && address ? address.port : running.config.http.port;
  process.stderr.write(
    [
      '',
      `image-resizer dev: http://localhost:${port}  (S3: ${s3Url}/${BUCKET}, data in ${dataDir})`,
      'Try:',
      `  curl -F image=@${sample} 'http://localhost:${port}/v1/images?widths=320,1280&format=webp'`,
      '',
    ].join('\n'),
  );
}

dev().catch((err: unknown) => {
  process.stderr.write(`dev: ${String(err)}\n`);
  process.exit(1);
});
