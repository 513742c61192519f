/**
 * A JPEG's header, read from its marker segments without a decoder: the frame's size, where the
 * main image's first scan starts, and its EXIF orientation. For the common upload (a JPEG) this
 * replaces libvips' header read, which costs ~0.35 ms of CPU per upload (a quarter of it on the
 * event loop) and which the pipeline's own decode repeats anyway. Walking by segment lengths
 * skips whatever a segment holds, an EXIF thumbnail's own markers included.
 */
export interface JpegHeader {
  width: number;
  height: number;
  /** Huffman coding (SOF0-7), not arithmetic. */
  huffman: boolean;
  /** Offset of the main image's first start-of-scan marker. */
  scan: number;
  /**
   * EXIF orientation, 1-8 (1 without EXIF); undefined where this reading could disagree with
   * libvips' (two EXIF segments, an unusual or out-of-bounds entry): the caller asks libvips.
   */
  orientation: number | undefined;
}

const EXIF = Buffer.from('Exif\0\0');
const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/** IFD0's orientation entry of a TIFF structure (EXIF's layout); 1 when it has none. */
function tiffOrientation(tiff: Buffer): number | undefined {
  if (tiff.length < 8) return undefined;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  // IFD0 after the 8-byte header, as EXIF writers put it: anything else is left to libexif.
  if (ifd < 8 || ifd + 2 > tiff.length) return undefined;
  const entries = u16(ifd);
  if (ifd + 2 + entries * 12 > tiff.length) return undefined;
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    if (u16(entry + 2) !== SHORT || u32(entry + 4) !== 1) return undefined;
    const value = u16(entry + 8);
    return value >= 1 && value <= 8 ? value : undefined;
  }
  return 1;
}

export function readJpegHeader(buf: Buffer): JpegHeader | undefined {
  let frame: Pick<JpegHeader, 'width' | 'height' | 'huffman'> | undefined;
  let orientation: number | undefined = 1;
  let exifSegments = 0;
  for (let at = 2; at + 4 <= buf.length && buf[at] === 0xff;) {
    const marker = buf[at + 1] ?? 0;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xda) return frame && { ...frame, scan: at, orientation };
    // Markers without a length (TEM, RST0-7, SOI, EOI) and stuffed zeros: libjpeg steps over
    // them where this walk would read a length and land elsewhere, so a file could show it
    // one header and libvips another. Such files, rare and odd, go to libvips.
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) return undefined;
    const length = buf.readUInt16BE(at + 2);
    if (length < 2) return undefined;
    const body = at + 4;
    // SOF0-15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      // A second frame header: not a file whose size is worth guessing.
      if (frame || at + 9 > buf.length) return undefined;
      frame = {
        height: buf.readUInt16BE(at + 5),
        width: buf.readUInt16BE(at + 7),
        huffman: marker < 0xc8,
      };
    } else if (marker === 0xe1 && buf.toString('latin1', body, body + 4) === 'Exif') {
      // libvips takes any APP1 that starts with "Exif" and keeps the last one's data; which one
      // a reader takes, or what it makes of a malformed header, is not worth guessing.
      exifSegments++;
      const end = Math.min(buf.length, at + 2 + length);
      const wellFormed = exifSegments === 1 && buf.subarray(body, body + 6).equals(EXIF);
      orientation = wellFormed ? tiffOrientation(buf.subarray(body + EXIF.length, end)) : undefined;
    }
    at += 2 + length;
  }
  return undefined;
}

/**
 * The size after EXIF orientation, as libvips' header read gives it; undefined where libvips must
 * say. A JPEG has no alpha channel (a CMYK one's fourth band is black, not alpha).
 */
export function jpegSourceSize(header: JpegHeader | undefined) {
  if (!header?.orientation) return undefined;
  const turned = header.orientation >= 5;
  return {
    width: turned ? header.height : header.width,
    height: turned ? header.width : header.height,
    hasAlpha: false,
  };
}
