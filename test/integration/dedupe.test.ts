import request from 'supertest';
import { createSharpPipeline } from '../../src/image/sharp-pipeline';
import type { ImagePipeline } from '../../src/image/image-pipeline';
import { createMemoryImageStore } from '../../src/storage/memory-image-store';
import type { ImageStore } from '../../src/storage/image-store';
import * as images from '../support/images';
import { buildTestApp } from '../support/test-app';

// A repeat upload is answered from S3's metadata alone: no header read, no slot, one HEAD per
// variant. Counted here on the ports, so the test says what work a hit still does.

function counted() {
  const real = createSharpPipeline({
    maxInputPixels: 50_000_000,
    maxInputFrames: 1000,
    mozjpeg: false,
    avifEffort: 3,
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
  it('a full hit reads no header and makes nothing: one HEAD per variant, the same answer', async () => {
    const { app, calls, reset } = counted();
    const photo = await images.jpeg(800, 600);
    const first = await send(app, photo, 'widths=100,200,300').expect(201);
    reset();
    const again = await send(app, photo, 'widths=100,200,300').expect(200);
    expect(calls).toEqual({ probe: 0, render: 0, head: 3, put: 0 });
    expect(again.body).toEqual({ ...(first.body as object), deduplicated: true });
  });

  it('a partial hit looks each key up once, then makes only what is missing', async () => {
    const { app, calls, reset } = counted();
    const photo = await images.png(640, 480);
    await send(app, photo, 'widths=100').expect(201);
    reset();
    const res = await send(app, photo, 'widths=100,200').expect(201);
    expect(calls).toEqual({ probe: 1, render: 1, head: 2, put: 1 });
    expect((res.body as { variants: { width: number }[] }).variants.map((v) => v.width)).toEqual([
      100, 200,
    ]);
  });

  it('objects without the source facts (written before they were recorded) go the long way', async () => {
    const { app, calls, reset, objects } = counted();
    const photo = await images.jpeg(800, 600);
    const first = await send(app, photo, 'widths=100').expect(201);
    for (const object of objects.values()) {
      for (const name of ['source-format', 'source-width', 'source-height'])
        delete object.metadata[name];
    }
    reset();
    const again = await send(app, photo, 'widths=100').expect(200);
    expect(calls).toEqual({ probe: 1, render: 0, head: 1, put: 0 });
    expect(again.body).toEqual({ ...(first.body as object), deduplicated: true });
  });

  it("a TIFF kept as 'original' needs its header (transparency decides the format)", async () => {
    const { app, calls, reset } = counted();
    const scan = await images.tiff(400, 300);
    await send(app, scan, 'widths=100').expect(201);
    reset();
    await send(app, scan, 'widths=100').expect(200);
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
