import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as images from '../support/images';
import { useS3 } from '../support/s3-server';
import { startServerProcess } from '../support/server-process';

const dir = path.join(__dirname, '..', 'fixtures', 'hostile');

const s3 = useS3();

describe('the hostile corpus against the built server', () => {
  it('never kills the process, keeps peak memory under 1.5 GB, and gives memory back', async () => {
    const run = startServerProcess({ ...s3.env, PORT: '0', HOST: '127.0.0.1' });
    try {
      const url = await run.waitForListening();
      const post = (body: Buffer, type: string) =>
        fetch(`${url}/v1/images?widths=320,640`, {
          method: 'POST',
          headers: { 'Content-Type': type },
          body,
        }).then((r) => r.status);
      // Warm up with real work so the baseline includes libvips' and the SDK's steady state.
      const photo = await images.jpeg(4000, 3000);
      for (let i = 0; i < 3; i++)
        expect(await post(images.withComment(photo, `warm ${i}`), 'image/jpeg')).toBe(201);
      const baseline = run.memory().rssMiB;

      const corpus = readdirSync(dir).map((name) => readFileSync(path.join(dir, name)));
      // Five rounds, four requests at a time (within the default admission limit).
      const statuses: number[] = [];
      const queue = Array.from({ length: 5 }, () => corpus).flat();
      const worker = async () => {
        for (let body = queue.shift(); body; body = queue.shift())
          statuses.push(await post(body, 'image/jpeg'));
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      expect(statuses).toHaveLength(5 * corpus.length);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const { peakMiB, rssMiB } = run.memory();
      expect(peakMiB).toBeLessThan(1536);
      // Rejected input must not leave memory behind (generous margin for allocator noise).
      expect(rssMiB - baseline).toBeLessThan(150);
      process.stdout.write(
        `hostile corpus: baseline ${baseline.toFixed(0)} MiB, after ${rssMiB.toFixed(0)} MiB, peak ${peakMiB.toFixed(0)} MiB\n`,
      );
      expect(run.child.exitCode).toBeNull();
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
