import request from 'supertest';
import { createSharpPipeline } from '../../src/image/sharp-pipeline';
import type { ImagePipeline } from '../../src/image/image-pipeline';
import { createMemoryImageStore } from '../../src/storage/memory-image-store';
import type { ImageStore } from '../../src/storage/image-store';
import * as images from '../support/images';
import { buildTestApp } from '../support/test-app';

// A repeat upload is answered from S3's metadata alone: no header read, no slot, one HEAD (the
// set's record). Counted here on the ports, so the test says what work a hit still does.

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
    // The three variants, then the set's record, written once they all exist.
    expect(calls.put).toBe(4);
    const id = (first.body as { id: string }).id;
    expect(objects.get(`${id}/sets/w100-q80.jpg+w200-q80.jpg+w300-q80.jpg`)?.metadata).toEqual({
      'source-format': 'jpeg',
      'source-width': '800',
      'source-height': '600',
      variants: expect.stringMatching(/^100x75:\d+,200x150:\d+,300x225:\d+$/) as string,
    });
    reset();
    const again = await send(app, photo, 'widths=100,200,300').expect(200);
    expect(calls).toEqual({ probe: 0, render: 0, head: 1, put: 0 });
    expect(again.body).toEqual({ ...(first.body as object), deduplicated: true });
  });

  it('a set asked for the first time, whose variants all exist, is found one by one and recorded', async () => {
    const { app, calls, reset } = counted();
    const photo = await images.jpeg(800, 600);
    await send(app, photo, 'widths=100').expect(201);
    await send(app, photo, 'widths=200').expect(201);
    reset();
    await send(app, photo, 'widths=100,200').expect(200);
    // The record (missing), then each variant, then the record written.
    expect(calls).toEqual({ probe: 0, render: 0, head: 3, put: 1 });
    reset();
    await send(app, photo, 'widths=100,200').expect(200);
    expect(calls).toEqual({ probe: 0, render: 0, head: 1, put: 0 });
  });

  it('a partial hit looks each key up once, then makes only what is missing', async () => {
    const { app, calls, reset } = counted();
    const photo = await images.png(640, 480);
    await send(app, photo, 'widths=100').expect(201);
    reset();
    const res = await send(app, photo, 'widths=100,200').expect(201);
    // The set's record (missing), each variant once; the one missing made; then the record.
    expect(calls).toEqual({ probe: 1, render: 1, head: 3, put: 2 });
    expect((res.body as { variants: { width: number }[] }).variants.map((v) => v.width)).toEqual([
      100, 200,
    ]);
  });

  it('objects without the source facts (written before they were recorded) go the long way', async () => {
    const { app, calls, reset, objects } = counted();
    const photo = await images.jpeg(800, 600);
    const first = await send(app, photo, 'widths=100').expect(201);
    for (const [key, object] of objects) {
      if (key.includes('/sets/')) objects.delete(key);
      for (const name of ['source-format', 'source-width', 'source-height'])
        delete object.metadata[name];
    }
    reset();
    const again = await send(app, photo, 'widths=100').expect(200);
    // No record, a variant without the source's facts: the probe gives them; then recorded.
    expect(calls).toEqual({ probe: 1, render: 0, head: 2, put: 1 });
    expect(again.body).toEqual({ ...(first.body as object), deduplicated: true });
  });

  it("a TIFF kept as 'original' needs its header (transparency decides the format)", async () => {
    const { app, calls, reset } = counted();
    const scan = await images.tiff(400, 300);
    await send(app, scan, 'widths=100').expect(201);
    reset();
    await send(app, scan, 'widths=100').expect(200);
    // No look-up before the probe (the format is not known yet); after it, the set's record.
    expect(calls).toEqual({ probe: 1, render: 0, head: 1, put: 0 });
    reset();
    await send(app, scan, 'widths=100&format=webp').expect(201);
    await send(app, scan, 'widths=100&format=webp').expect(200);
    expect(calls.probe).toBe(1); // the second, asked for a named format, needed none
  });

  it('bytes that are not an image are refused as before, with nothing looked up', async () => {
    const { app, calls } = counted();
    await send(app, Buffer.from('not an image at all'), 'widths=100').expect(415);
    expect(calls.head).toBe(0);
  });
});
