import request from 'supertest';
import { createSharpPipeline } from '../../src/image/sharp-pipeline';
import type { ImagePipeline } from '../../src/image/image-pipeline';
import { createMemoryImageStore } from '../../src/storage/memory-image-store';
import type { ImageStore } from '../../src/storage/image-store';
import * as images from '../support/images';
import { buildTestApp } from '../support/test-app';

// A repeat upload is answered from S3's metadata alone: no header read, no slot, one HEAD (the
// upload's record). Counted here on the ports, so the test says what work a hit still does.

function counted() {
  const real = createSharpPipeline({
    maxInputPixels: 50_000_000,
    maxInputFrames: 1000,
    mozjpeg: false,
    avifEffort: 3,
    webpEffort: 2,
  });
  const memory = createMemoryImageStore();
  const calls = { probe: 0, render: 0, head: 0, put: 0 };
  const pipeline: ImagePipeline = {
    sniff: (input) => real.sniff(input),
    probe: (input) => (calls.probe++, real.probe(input)),
    render: (input, variants, options) => (calls.render++, real.render(input, variants, options)),
  };
  const store: ImageStore = {
    head: (key, signal) => (calls.head++, memory.store.head(key, signal)),
    put: (input, signal) => (calls.put++, memory.store.put(input, signal)),
    ping: () => memory.store.ping(),
  };
  const built = buildTestApp({ env: {} }, {}, { pipeline, store });
  const reset = () => Object.assign(calls, { probe: 0, render: 0, head: 0, put: 0 });
  return { app: built.app, calls, reset, objects: memory.objects };
}

const send = (app: ReturnType<typeof counted>['app'], image: Buffer, query: string) =>
  request(app)
    .post(`/v1/images?${query}`)
    .set('Content-Type', 'application/octet-stream')
    .send(image);

describe('dedupe', () => {
  it('a repeat of a set reads no header and makes nothing: one HEAD, the same answer', async () => {
    const { app, calls, reset, objects } = counted();
    const photo = await images.jpeg(800, 600);
    const first = await send(app, photo, 'widths=100,200,300').expect(201);
    // A first upload: the record (missing), then the three variants, then the record written.
    expect(calls).toEqual({ probe: 1, render: 1, head: 1, put: 4 });
    const id = (first.body as { id: string }).id;
    expect(objects.get(`${id}/record`)?.metadata).toEqual({
      'source-format': 'jpeg',
      'source-width': '800',
      'source-height': '600',
      variants: expect.stringMatching(
        /^w100-q80\.jpg=100x75:\d+,w200-q80\.jpg=200x150:\d+,w300-q80\.jpg=300x225:\d+$/,
      ) as string,
    });
    reset();
    const again = await send(app, photo, 'widths=100,200,300').expect(200);
    expect(calls).toEqual({ probe: 0, render: 0, head: 1, put: 0 });
    expect(again.body).toEqual({ ...(first.body as object), deduplicated: true });
  });

  it('a set made of variants from earlier sets is answered from the record: one HEAD', async () => {
    const { app, calls, reset } = counted();
    const photo = await images.jpeg(800, 600);
    const first = await send(app, photo, 'widths=100').expect(201);
    await send(app, photo, 'widths=200').expect(201);
    reset();
    const both = await send(app, photo, 'widths=200,100').expect(200);
    expect(calls).toEqual({ probe: 0, render: 0, head: 1, put: 0 });
    const [v200, v100] = (both.body as { variants: { key: string }[] }).variants;
    expect([v200?.key, v100?.key]).toEqual([
      expect.stringMatching(/\/w200-q80\.jpg$/),
      (first.body as { variants: { key: string }[] }).variants[0]!.key,
    ]);
  });

  it('a set that overlaps the record makes only what it lacks, and adds it', async () => {
    const { app, calls, reset, objects } = counted();
    const photo = await images.png(640, 480);
    const first = await send(app, photo, 'widths=100').expect(201);
    const id = (first.body as { id: string }).id;
    const v100 = objects.get(`${id}/w100.png`)?.body;
    reset();
    const res = await send(app, photo, 'widths=100,200').expect(201);
    // The record, then the one missing variant made and stored, then the record rewritten.
    expect(calls).toEqual({ probe: 1, render: 1, head: 1, put: 2 });
    expect((res.body as { variants: { width: number }[] }).variants.map((v) => v.width)).toEqual([
      100, 200,
    ]);
    expect(objects.get(`${id}/w100.png`)?.body).toBe(v100);
    expect(objects.get(`${id}/record`)?.metadata.variants).toMatch(
      /^w100\.png=100x75:\d+,w200\.png=200x150:\d+$/,
    );
    reset();
    await send(app, photo, 'widths=200').expect(200);
    expect(calls).toEqual({ probe: 0, render: 0, head: 1, put: 0 });
  });

  it('variants the record does not list are made again, their objects kept, then listed', async () => {
    // As after a crash between the variants' PUTs and the record's, or a lost race for it.
    const { app, calls, reset, objects } = counted();
    const photo = await images.jpeg(800, 600);
    const first = await send(app, photo, 'widths=100').expect(201);
    const id = (first.body as { id: string }).id;
    const stored = objects.get(`${id}/w100-q80.jpg`);
    objects.delete(`${id}/record`);
    reset();
    const again = await send(app, photo, 'widths=100').expect(201);
    expect(calls).toEqual({ probe: 1, render: 1, head: 1, put: 2 });
    expect(objects.get(`${id}/w100-q80.jpg`)).toBe(stored);
    expect((again.body as { variants: unknown[] }).variants).toEqual(
      (first.body as { variants: unknown[] }).variants,
    );
    reset();
    await send(app, photo, 'widths=100').expect(200);
    expect(calls).toEqual({ probe: 0, render: 0, head: 1, put: 0 });
  });

  it("a TIFF kept as 'original' needs its header (transparency decides the format)", async () => {
    const { app, calls, reset } = counted();
    const scan = await images.tiff(400, 300);
    await send(app, scan, 'widths=100').expect(201);
    reset();
    await send(app, scan, 'widths=100').expect(200);
    // No look-up before the probe (the format is not known yet); after it, the upload's record.
    expect(calls).toEqual({ probe: 1, render: 0, head: 1, put: 0 });
    reset();
    await send(app, scan, 'widths=100&format=webp').expect(201);
    await send(app, scan, 'widths=100&format=webp').expect(200);
    expect(calls.probe).toBe(1); // the second, asked for a named format, needed none
    reset();
    // Kept as 'original', the opaque scan became a JPEG, recorded after its probe: asked for as
    // a JPEG by name, it is found before any probe, under the same name.
    await send(app, scan, 'widths=100&format=jpeg').expect(200);
    expect(calls).toEqual({ probe: 0, render: 0, head: 1, put: 0 });
  });

  it('bytes that are not an image are refused as before, with nothing looked up', async () => {
    const { app, calls } = counted();
    await send(app, Buffer.from('not an image at all'), 'widths=100').expect(415);
    expect(calls.head).toBe(0);
  });
});
