import sharp from 'sharp';
import { jpegSourceSize, readJpegHeader } from '../../src/image/jpeg-header';
import * as images from '../support/images';

// The JPEG header read that stands in for libvips' on the common upload. Where it answers, it
// must answer what libvips does (a wrong orientation would stretch every variant made from a
// shared decode); where it cannot be sure, it must not answer.

type Entry = [tag: number, type: number, count: number, value: number];

/** A TIFF structure (EXIF's layout) with these IFD0 entries, in either byte order. */
function tiff(order: 'II' | 'MM', entries: Entry[]): Buffer {
  const le = order === 'II';
  const buf = Buffer.alloc(8 + 2 + entries.length * 12 + 4);
  buf.write(order, 0, 'latin1');
  const u16 = (v: number, at: number) => (le ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (le ? buf.writeUInt32LE(v, at) : buf.writeUInt32BE(v, at));
  u16(42, 2);
  u32(8, 4);
  u16(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    u16(tag, at);
    u16(type, at + 2);
    u32(count, at + 4);
    if (type === 3) u16(value, at + 8);
    else u32(value, at + 8);
  });
  return buf;
}

/** The JPEG with these APPn segments right after its start-of-image marker. */
function withSegments(jpeg: Buffer, segments: Array<[marker: number, payload: Buffer]>) {
  const parts = segments.map(([marker, payload]) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(0xff00 | marker, 0);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, payload]);
  });
  return Buffer.concat([jpeg.subarray(0, 2), ...parts, jpeg.subarray(2)]);
}

const exif = (body: Buffer) => [0xe1, Buffer.concat([Buffer.from('Exif\0\0'), body])] as const;
const xmp = [0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>')] as const;

async function libvips(file: Buffer) {
  const meta = await sharp(file).metadata();
  return { ...meta.autoOrient, hasAlpha: meta.hasAlpha, orientation: meta.orientation ?? 1 };
}

describe('readJpegHeader', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'reads EXIF orientation %i as libvips does, in both byte orders',
    async (orientation) => {
      const plain = await images.jpeg(64, 48);
      for (const order of ['II', 'MM'] as const) {
        const file = withSegments(plain, [
          [xmp[0], xmp[1]],
          [...exif(tiff(order, [[0x0112, 3, 1, orientation]]))],
        ]);
        const seen = await libvips(file);
        expect(seen.orientation).toBe(orientation);
        expect(readJpegHeader(file)?.orientation).toBe(orientation);
        expect(jpegSourceSize(readJpegHeader(file))).toEqual({
          width: seen.width,
          height: seen.height,
          hasAlpha: false,
        });
      }
    },
  );

  it.each([
    ['a JPEG without EXIF', () => images.jpeg(64, 48)],
    ['a CMYK JPEG', () => images.cmykJpeg(64, 48)],
    [
      'a progressive JPEG',
      async () => (await images.photo(64, 48)).jpeg({ progressive: true }).toBuffer(),
    ],
    ["sharp's own EXIF (orientation 6)", () => images.exifRotatedJpeg(300, 200)],
    [
      'EXIF without an orientation entry',
      async () =>
        withSegments(await images.jpeg(64, 48), [[...exif(tiff('II', [[0x010f, 2, 1, 0]]))]]),
    ],
  ])('gives the size libvips gives for %s', async (_name, make) => {
    const file = await make();
    const seen = await libvips(file);
    expect(jpegSourceSize(readJpegHeader(file))).toEqual({
      width: seen.width,
      height: seen.height,
      hasAlpha: seen.hasAlpha,
    });
  });

  it('leaves to libvips what it could read otherwise', async () => {
    const plain = await images.jpeg(64, 48);
    const unsure = [
      // Two EXIF segments: libvips keeps one of them.
      withSegments(plain, [
        [...exif(tiff('II', [[0x0112, 3, 1, 6]]))],
        [...exif(tiff('II', [[0x0112, 3, 1, 1]]))],
      ]),
      // Out of range: libvips treats it as 1.
      withSegments(plain, [[...exif(tiff('MM', [[0x0112, 3, 1, 9]]))]]),
      // Not a SHORT.
      withSegments(plain, [[...exif(tiff('II', [[0x0112, 4, 1, 6]]))]]),
      // An IFD that runs past its segment.
      withSegments(plain, [[...exif(tiff('II', [[0x0112, 3, 1, 6]]).subarray(0, 16))]]),
      // "Exif" without the two zero bytes that end EXIF's header.
      withSegments(plain, [
        [0xe1, Buffer.concat([Buffer.from('Exif!!'), tiff('II', [[0x0112, 3, 1, 1]])])],
      ]),
      // Neither byte order.
      withSegments(plain, [[...exif(Buffer.from('XX\0\x2a\0\0\0\x08\0\0'))]]),
    ];
    for (const file of unsure) {
      expect(readJpegHeader(file)).toBeDefined();
      expect(jpegSourceSize(readJpegHeader(file))).toBeUndefined();
    }
  });

  it('finds the frame and the first scan, not an EXIF thumbnail inside a segment', async () => {
    const thumbnail = await images.jpeg(32, 24);
    const main = await images.jpeg(320, 240);
    const file = withSegments(main, [[0xe1, Buffer.concat([Buffer.from('Exif\0\0'), thumbnail])]]);
    const header = readJpegHeader(file);
    expect(header).toMatchObject({ width: 320, height: 240, huffman: true });
    expect(file.readUInt16BE(header!.scan)).toBe(0xffda);
    expect(header!.scan).toBeGreaterThan(thumbnail.length);
  });

  // A marker without a length before an APP0 segment: read as a marker with a length, the APP0's
  // own marker (FF E0) would be the length, and the walk would land at 4 + 0xffe0, inside the
  // APP0, on a frame header planted there (7000x7000) that libjpeg never reads.
  async function plantedBehind(marker: number) {
    const plain = await images.jpeg(64, 48);
    const app0 = Buffer.alloc(4 + 65533);
    app0.writeUInt16BE(0xffe0, 0);
    app0.writeUInt16BE(65535, 2);
    const planted = 0xffe0; // 4 + 0xffe0 in the file; app0 starts at 4
    Buffer.from([0xff, 0xc0, 0, 11, 8, 0x1b, 0x58, 0x1b, 0x58, 1, 1, 0x11, 0]).copy(app0, planted);
    Buffer.from([0xff, 0xda]).copy(app0, planted + 13);
    return Buffer.concat([
      plain.subarray(0, 2),
      Buffer.from([0xff, marker]),
      app0,
      plain.subarray(2),
    ]);
  }

  it.each([
    ['a restart marker', 0xd0],
    ['TEM', 0x01],
  ])('leaves to libvips a file with %s where libjpeg steps over it', async (_name, marker) => {
    const file = await plantedBehind(marker);
    expect((await sharp(file).metadata()).width).toBe(64);
    expect(readJpegHeader(file)).toBeUndefined();
    expect(jpegSourceSize(readJpegHeader(file))).toBeUndefined();
  });

  it('leaves to libvips a file with two frame headers', async () => {
    const plain = await images.jpeg(64, 48);
    const sof = plain.indexOf(Buffer.from([0xff, 0xc0]));
    const frameHeader = plain.subarray(sof, sof + 2 + plain.readUInt16BE(sof + 2));
    const file = Buffer.concat([plain.subarray(0, sof), frameHeader, plain.subarray(sof)]);
    expect(readJpegHeader(file)).toBeUndefined();
    expect(jpegSourceSize(readJpegHeader(file))).toBeUndefined();
  });

  it('leaves to libvips an IFD0 that is not after the TIFF header', async () => {
    const plain = await images.jpeg(64, 48);
    for (const offset of [0, 1, 2, 3, 4, 5, 6, 7, 0xffffffff]) {
      const body = tiff('II', [[0x0112, 3, 1, 6]]);
      body.writeUInt32LE(offset, 4);
      const file = withSegments(plain, [[...exif(body)]]);
      expect(readJpegHeader(file)?.orientation).toBeUndefined();
    }
  });

  it('never throws on short or garbled input', async () => {
    const rotated = withSegments(await images.jpeg(64, 48), [
      [...exif(tiff('MM', [[0x0112, 3, 1, 6]]))],
    ]);
    for (let n = 0; n <= rotated.length; n++) {
      expect(() => jpegSourceSize(readJpegHeader(rotated.subarray(0, n)))).not.toThrow();
    }
    for (let n = 0; n < 40; n++) {
      expect(() => readJpegHeader(Buffer.alloc(n, 0xff))).not.toThrow();
    }
  });
});
