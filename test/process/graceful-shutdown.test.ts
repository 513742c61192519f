import * as images from '../support/images';
import { useS3 } from '../support/s3-server';
import { startServerProcess } from '../support/server-process';

const s3 = useS3();
let photo: Buffer;
beforeAll(async () => {
  photo = await images.jpeg(4000, 3000);
});

const upload = (url: string, body: Buffer) =>
  fetch(`${url}/v1/images?widths=320,640,1280`, {
    method: 'POST',
    headers: { 'Content-Type': 'image/jpeg' },
    body,
  });

describe('graceful shutdown (the built server, SIGTERM)', () => {
  it('finishes every in-flight upload, serves during the drain, then exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    const run = startServerProcess({
      ...s3.env,
      PORT: '0',
      HOST: '127.0.0.1',
      MAX_CONCURRENT_JOBS: '2',
      MAX_QUEUED_JOBS: '10',
      // Shutdown is under test, not shedding: queued uploads wait their turn.
      MAX_QUEUE_WAIT_MS: '20000',
      SHUTDOWN_DRAIN_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '8000',
    });
    try {
      const url = await run.waitForListening();
      const lateUpload = await images.jpeg(300, 200);
      const inFlight = Array.from({ length: 6 }, (_, i) =>
        upload(url, images.withComment(photo, `sigterm ${i} ${Date.now()}`)),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      const signalledAt = Date.now();
      run.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));

      // Readiness flips at once; new requests are still served during the drain, told to close.
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      const during = await upload(url, lateUpload);
      expect(during.status).toBe(201);
      expect(during.headers.get('connection')).toBe('close');

      const responses = await Promise.all(inFlight);
      expect(responses.map((r) => r.status)).toEqual(Array(6).fill(201));
      expect(await run.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(8000);
      expect(run.logs().at(-1)?.msg).toBe('shutdown complete');
      // Seven uploads (six in flight, one during the drain): three variants and the upload's
      // record each, written whole.
      const keys = await s3.listKeys();
      expect(keys.filter((k) => !k.endsWith('/record'))).toHaveLength(7 * 3);
      expect(keys.filter((k) => k.endsWith('/record'))).toHaveLength(7);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
