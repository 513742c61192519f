import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** A real S3 server (s3rver) in this process, on a free port, with its own folder and bucket. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  client: S3Client;
  /** Env for loadConfig pointing the service at this server. */
  env: Record<string, string>;
  getObject(key: string): Promise<{
    body: Buffer;
    contentType?: string;
    cacheControl?: string;
    metadata: Record<string, string>;
  }>;
  listKeys(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startS3({ bucket = 'test-images', port = 0 } = {}): Promise<TestS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    // s3rver stores flexible-checksum (aws-chunked) bodies corrupted.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    bucket,
    client,
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_FORCE_PATH_STYLE: 'true',
      S3_CHECKSUMS: 'WHEN_REQUIRED',
    },
    async getObject(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return {
        body: Buffer.from(await out.Body!.transformToByteArray()),
        contentType: out.ContentType,
        cacheControl: out.CacheControl,
        metadata: out.Metadata ?? {},
      };
    },
    async listKeys() {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (out.Contents ?? []).map((o) => o.Key!).sort();
    },
    async stop() {
      client.destroy();
      server.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The S3 server of a test file: started before its first test, stopped after its last. Returns
 * a TestS3 whose members reach the running server, so a file declares it once, at the top:
 *   const s3 = useS3();
 */
export function useS3(options: Parameters<typeof startS3>[0] = {}): TestS3 {
  let server: TestS3 | undefined;
  beforeAll(async () => {
    server = await startS3(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const current = () => {
    if (!server) throw new Error('useS3: the server is reached outside a test');
    return server;
  };
  return {
    get endpoint() {
      return current().endpoint;
    },
    get bucket() {
      return current().bucket;
    },
    get client() {
      return current().client;
    },
    get env() {
      return current().env;
    },
    getObject: (key) => current().getObject(key),
    listKeys: () => current().listKeys(),
    stop: () => current().stop(),
  };
}
