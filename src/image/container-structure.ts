import type { SourceFormat } from '../domain/output-format';
import { readJpegHeader, type JpegHeader } from './jpeg-header';

/**
 * What the file's own structure says, read before any decoder runs: cheap (a linear scan, no
 * pixel, no allocation) and bounded, because a decoder's header read is not. libvips' metadata()
 * walks every frame of a WebP, GIF or TIFF to count them; a 5 MB WebP of 100,000 tiny frames
 * took it a minute of CPU. Counting here stops at the limit.
 */
export interface ContainerFacts {
  /** Frames or pages, counted up to `limit + 1` (enough to refuse). */
  frames: number;
  /** False for a JPEG cut off before its end-of-image marker. */
  complete: boolean;
  /** A JPEG's header, where its segments could be walked (jpeg-header.ts). */
  jpeg?: JpegHeader;
}

/** WebP: RIFF chunks; each ANMF chunk is a frame. */
function webpFrames(buf: Buffer, limit: number): number {
  let frames = 0;
  for (let at = 12; at + 8 <= buf.length && frames <= limit;) {
    const size = buf.readUInt32LE(at + 4);
    if (buf.toString('latin1', at, at + 4) === 'ANMF') frames++;
    at += 8 + size + (size % 2);
  }
  return Math.max(1, frames);
}

/** GIF: blocks after the header; each image descriptor (0x2C) is a frame. */
function gifFrames(buf: Buffer, limit: number): number {
  const skipSubBlocks = (at: number) => {
    while (at < buf.length && buf[at] !== 0) at += (buf[at] ?? 0) + 1;
    return at + 1;
  };
  const colourTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
  let at = 13 + colourTable(buf[10] ?? 0);
  let frames = 0;
  while (at < buf.length && frames <= limit) {
    const block = buf[at];
    if (block === 0x2c) {
      frames++;
      at = skipSubBlocks(at + 10 + colourTable(buf[at + 9] ?? 0) + 1);
    } else if (block === 0x21) {
      at = skipSubBlocks(at + 2);
    } else {
      break; // trailer (0x3b) or garbage: what follows is not a frame
    }
  }
  return Math.max(1, frames);
}

/** TIFF: a chain of image file directories (IFDs); each is a page. */
function tiffPages(buf: Buffer, limit: number): number {
  if (buf.length < 8) return 1;
  const little = buf[0] === 0x49;
  const u16 = (at: number) => (little ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
  const u32 = (at: number) => (little ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const seen = new Set<number>();
  let pages = 0;
  for (let ifd = u32(4); ifd > 0 && ifd + 2 <= buf.length && pages <= limit;) {
    if (seen.has(ifd)) break; // a loop in the chain: hostile
    seen.add(ifd);
    pages++;
    const next = ifd + 2 + u16(ifd) * 12;
    if (next + 4 > buf.length) break;
    ifd = u32(next);
  }
  return Math.max(1, pages);
}

/**
 * Whether a JPEG holds all of its image. libjpeg only warns about a cut-off file (and fills the
 * rest with grey), and refusing every warning would refuse many real camera files, so two cheap
 * checks instead, from the main image's first scan on:
 * - an end-of-image marker (FF D9) after it: it cannot occur inside entropy-coded data (a data
 *   FF is stuffed as FF 00), so the first one is the image's own end. Whatever follows it (a
 *   phone's "motion photo" appends a whole MP4) is not looked at. A file that ends on one is
 *   taken as whole without the search (a second picture appended after the main one, as in
 *   MPF files, ends on its own);
 * - enough data for the size declared: Huffman coding spends at least about one bit per 8x8
 *   block of each component (flat grey at mozjpeg's settings: 1.5 bits per luma block), so less
 *   than half a bit per luma block is a header that claims more than the file holds (a 286-byte
 *   JPEG claiming 7000x7000). Arithmetic coding can go lower: not checked.
 * A file whose segments cannot be walked is left to the decoder.
 */
function jpegComplete(buf: Buffer, layout: JpegHeader | undefined): boolean {
  if (!layout) return buf.indexOf(Buffer.from([0xff, 0xda])) >= 0;
  // Most files end with their own end marker: taken as is, since a cut-off upload does not end
  // on one; searching 1.5 MiB of scan data for it costs ~0.3 ms of the event loop per upload.
  const endsOnMarker = buf[buf.length - 2] === 0xff && buf[buf.length - 1] === 0xd9;
  const end = endsOnMarker
    ? buf.length - 2
    : buf.indexOf(Buffer.from([0xff, 0xd9]), layout.scan + 2);
  if (end < 0) return false;
  if (!layout.huffman) return true;
  const lumaBlocks = Math.ceil(layout.width / 8) * Math.ceil(layout.height / 8);
  return (end - layout.scan) * 16 >= lumaBlocks;
}

export function readContainer(
  buf: Buffer,
  format: SourceFormat,
  frameLimit: number,
): ContainerFacts {
  switch (format) {
    case 'webp':
      return { frames: webpFrames(buf, frameLimit), complete: true };
    case 'gif':
      return { frames: gifFrames(buf, frameLimit), complete: true };
    case 'tiff':
      return { frames: tiffPages(buf, frameLimit), complete: true };
    case 'jpeg': {
      const jpeg = readJpegHeader(buf);
      return { frames: 1, complete: jpegComplete(buf, jpeg), jpeg };
    }
    default:
      return { frames: 1, complete: true };
  }
}
