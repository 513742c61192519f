/**
 * Generates the hostile-input corpus in test/fixtures/hostile (committed; re-run with
 * `npm run fixtures` after changing this file). Everything is made here, from code: no file
 * is downloaded. Deterministic: the same script gives the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDeflate, crc32 } from 'node:zlib';
import sharp from 'sharp';

const dir = path.join(__dirname, '..', 'test', 'fixtures', 'hostile');

/** A small deterministic PRNG (mulberry32), so "random" fixtures are reproducible. */
function randomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let a = seed;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** A gradient photo stand-in, from raw pixels (no randomness). */
const gradient = (width: number, height: number) => {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = ((x + y) * 127) / (width + height);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
};

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A complete, valid, all-black PNG of 1-bit pixels, which compresses to almost nothing however
 * large it is: at 50000x50000 (2.5 gigapixels, a few hundred KB) a decompression bomb that must
 * be refused from its header; at 1x10,000,000 a strip whose width-only variant would be
 * 10,000,000 pixels tall.
 */
async function blackPng(width: number, height: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const row = Buffer.alloc(1 + Math.ceil(width / 8)); // filter byte + zero pixels
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small real JPEG whose frame header declares another size, with nothing more behind it. */
async function jpegDeclaring(width: number, height: number, real?: Buffer): Promise<Buffer> {
  real ??= await gradient(16, 16).jpeg({ quality: 50 }).toBuffer();
  const sof = real.indexOf(Buffer.from([0xff, 0xc0]));
  const out = Buffer.from(real);
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}

/**
 * An animated WebP of `frames` 1x1 lossless frames, one tiny VP8L bitstream repeated in ANMF
 * chunks: a few bytes a frame, while libvips' header read walks every one of them.
 */
async function manyFrameWebp(frames: number): Promise<Buffer> {
  const still = await sharp({
    create: { width: 1, height: 1, channels: 3, background: '#808080' },
  })
    .webp({ lossless: true })
    .toBuffer();
  const at = still.indexOf(Buffer.from('VP8L', 'latin1'));
  const vp8l = still.subarray(at, at + 8 + still.readUInt32LE(at + 4));
  const chunk = (fourcc: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(fourcc, 0, 'latin1');
    head.writeUInt32LE(data.length, 4);
    return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
  };
  const vp8x = Buffer.alloc(10);
  vp8x[0] = 0x02; // animation
  const anim = Buffer.alloc(6); // background colour 0, loop forever
  const frameHeader = Buffer.alloc(16); // at 0,0; 1x1 (stored minus one); 100 ms
  frameHeader.writeUIntLE(100, 12, 3);
  const frame = chunk('ANMF', Buffer.concat([frameHeader, vp8l]));
  const body = Buffer.concat([
    Buffer.from('WEBP', 'latin1'),
    chunk('VP8X', vp8x),
    chunk('ANIM', anim),
    ...Array<Buffer>(frames).fill(frame),
  ]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

async function animatedGif(frames: number): Promise<Buffer> {
  const frame = (i: number) =>
    sharp({
      create: {
        width: 32,
        height: 32,
        channels: 3,
        background: { r: (i * 37) % 256, g: 80, b: 160 },
      },
    })
      .raw()
      .toBuffer();
  const raw = Buffer.concat(await Promise.all(Array.from({ length: frames }, (_, i) => frame(i))));
  return sharp(raw, { raw: { width: 32, height: 32 * frames, channels: 3, pageHeight: 32 } })
    .gif({ loop: 0, delay: Array(frames).fill(40) as number[] })
    .toBuffer();
}

async function main() {
  await mkdir(dir, { recursive: true });
  const jpeg = await gradient(640, 480).jpeg({ quality: 80 }).toBuffer();
  const png = await gradient(64, 48).png().toBuffer();
  const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const idat = png.indexOf(Buffer.from('IDAT', 'latin1'));
  const corruptPng = Buffer.from(png);
  randomBytes(40, 7).copy(corruptPng, idat + 8);

  const files: Record<string, Buffer | string> = {
    'random-bytes.jpg': randomBytes(4096, 1),
    'text.txt': 'This is a plain text file, not an image.\n',
    'page.html': '<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>\n',
    'document.pdf':
      '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    'script.svg':
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><image href="http://169.254.169.254/latest/meta-data/"/></svg>\n',
    'xxe.svg':
      '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>\n',
    'image.bmp': Buffer.concat([Buffer.from('BM'), randomBytes(120, 2)]),
    'image.heic': Buffer.concat([
      Buffer.from([0, 0, 0, 24]),
      Buffer.from('ftypheic\0\0\0\0mif1heic'),
      randomBytes(64, 3),
    ]),
    'image.jxl': Buffer.concat([Buffer.from([0xff, 0x0a]), randomBytes(64, 4)]),
    'image.ico': Buffer.concat([Buffer.from([0, 0, 1, 0, 1, 0]), randomBytes(64, 5)]),
    'empty.jpg': Buffer.alloc(0),
    'truncated.jpg': jpeg.subarray(0, Math.floor(jpeg.length / 2)),
    'headers-only.jpg': jpeg.subarray(0, sos),
    'corrupt.png': corruptPng,
    'bomb-50000x50000.png': await blackPng(50000, 50000),
    'strip-1x10000000.png': await blackPng(1, 10_000_000),
    'webp-10000-frames.webp': await manyFrameWebp(10_000),
    // Complete as a file (it ends with its end-of-image marker), but 64x48 of data under a
    // header that claims 7000x7000: libjpeg warns and fills the rest with grey.
    'jpeg-64x48-declaring-7000x7000.jpg': await jpegDeclaring(
      7000,
      7000,
      await gradient(64, 48).jpeg({ quality: 50 }).toBuffer(),
    ),
    'jpeg-declaring-60000x60000.jpg': await jpegDeclaring(60000, 60000),
    'animated-120-frames.gif': await animatedGif(120),
    'cmyk.jpg': await gradient(64, 48).toColourspace('cmyk').jpeg().toBuffer(),
    'rgb16.png': await gradient(64, 48).toColourspace('rgb16').png().toBuffer(),
    'valid.jpg': await gradient(64, 48).jpeg().toBuffer(),
  };
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), content);
    process.stdout.write(`${name}: ${Buffer.byteLength(content)} bytes\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
