import sharp from 'sharp';
import { readContainer } from '../../src/image/container-structure';
import * as images from '../support/images';

// The cheap reads that come before any decoder; the hostile corpus (test/fixtures/hostile)
// proves them end to end.

async function animated(format: 'gif' | 'webp' | 'tiff', frames: number) {
  const raw = Buffer.concat(
    await Promise.all(
      Array.from({ length: frames }, (_, i) =>
        sharp({
          create: { width: 8, height: 8, channels: 3, background: { r: i * 20, g: 0, b: 0 } },
        })
          .raw()
          .toBuffer(),
      ),
    ),
  );
  return sharp(raw, { raw: { width: 8, height: 8 * frames, channels: 3, pageHeight: 8 } })
    .toFormat(format)
    .toBuffer();
}

describe('readContainer', () => {
  it.each(['gif', 'webp', 'tiff'] as const)(
    'counts the frames of a %s, as libvips does',
    async (format) => {
      const file = await animated(format, 7);
      expect((await sharp(file).metadata()).pages).toBe(7);
      expect(readContainer(file, format, 1000).frames).toBe(7);
    },
  );

  it('stops counting just past the limit', async () => {
    expect(readContainer(await animated('gif', 7), 'gif', 3).frames).toBe(4);
  });

  it('a single image is one frame', async () => {
    expect(readContainer(await images.webp(64, 48), 'webp', 1000).frames).toBe(1);
    expect(readContainer(await images.png(64, 48), 'png', 1000).frames).toBe(1);
  });

  it('a JPEG cut off before its end-of-image marker is incomplete', async () => {
    const jpeg = await images.jpeg(320, 240);
    expect(readContainer(jpeg, 'jpeg', 1000).complete).toBe(true);
    expect(readContainer(jpeg.subarray(0, jpeg.length - 100), 'jpeg', 1000).complete).toBe(false);
  });

  it("data appended after the image (a phone's motion photo) is not looked at", async () => {
    const jpeg = await images.jpeg(320, 240);
    // A trailer with a start-of-scan marker and no end-of-image after it, as random bytes of an
    // appended MP4 often have: only the main image's own scan and end count.
    const trailer = Buffer.concat([
      Buffer.from('ftypmp42'),
      Buffer.from([0xff, 0xda, 0, 8]),
      Buffer.alloc(4096, 7),
    ]);
    expect(readContainer(Buffer.concat([jpeg, trailer]), 'jpeg', 1000).complete).toBe(true);
  });

  it("an EXIF thumbnail's own markers do not stand for the main image", async () => {
    const thumbnail = await images.jpeg(32, 24);
    const main = await images.jpeg(320, 240);
    // An APP1 segment holding a whole JPEG (its own scan and end), before the main image's.
    const app1 = Buffer.alloc(4);
    app1.writeUInt16BE(0xffe1, 0);
    app1.writeUInt16BE(thumbnail.length + 2, 2);
    const withThumbnail = Buffer.concat([main.subarray(0, 2), app1, thumbnail, main.subarray(2)]);
    expect(readContainer(withThumbnail, 'jpeg', 1000).complete).toBe(true);
    // Cut inside the main image: the thumbnail's end marker must not make it look complete.
    const cut = withThumbnail.subarray(0, withThumbnail.length - 200);
    expect(readContainer(cut, 'jpeg', 1000).complete).toBe(false);
  });

  it('a JPEG whose header claims more than its data can hold is incomplete; a flat one is not', async () => {
    const small = await images.jpeg(64, 48);
    const sof = small.indexOf(Buffer.from([0xff, 0xc0]));
    const claiming = Buffer.from(small);
    claiming.writeUInt16BE(7000, sof + 5);
    claiming.writeUInt16BE(7000, sof + 7);
    expect(readContainer(claiming, 'jpeg', 1000).complete).toBe(false);
    // The least data a real encoder writes for its size: flat grey at mozjpeg's settings.
    const flat = await sharp({
      create: { width: 4000, height: 3000, channels: 3, background: '#808080' },
    })
      .jpeg({ mozjpeg: true })
      .toBuffer();
    expect(readContainer(flat, 'jpeg', 1000).complete).toBe(true);
  });

  it('never throws on short or garbled input', () => {
    for (const format of ['gif', 'webp', 'tiff', 'jpeg'] as const) {
      for (let n = 0; n < 40; n++) {
        expect(() => readContainer(Buffer.alloc(n, 0xff), format, 10)).not.toThrow();
      }
    }
  });
});
