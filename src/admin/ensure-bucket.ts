/**
 * One-off admin process, run from the same image and config as the service:
 *   docker compose run --rm app node dist/admin/ensure-bucket.js
 * Checks (creating if needed) the bucket and its lifecycle rule and, with S3_PUBLIC_READ=true,
 * lets anyone read the variants (the compose stack does, to show them in a browser); prints a
 * JSON report.
 */
import { loadConfig } from '../config/config';
import { ensureBucket } from '../storage/s3-bucket-admin';
import { createS3Client } from '../storage/s3-image-store';

async function run() {
  const config = loadConfig(process.env);
  const client = createS3Client(config.s3);
  try {
    const report = await ensureBucket(client, config.s3.bucket, {
      publicRead: config.s3.publicRead,
      keyPrefix: config.s3.keyPrefix,
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    client.destroy();
  }
}

run().catch((err: unknown) => {
  process.stderr.write(`ensure-bucket: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
