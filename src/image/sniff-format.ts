import type { SourceFormat } from '../domain/output-format';

/**
 * Decides what a byte buffer is from its magic numbers. The client's Content-Type and file name
 * are never trusted: a JPEG labelled image/png is a JPEG, and an SVG labelled image/jpeg is
 * still an SVG (refused: it is scriptable and can reference external resources).
 */
export type Sniffed =
  { accepted: true; format: SourceFormat } | { accepted: false; detected: string };

const startsWith = (buf: Buffer, bytes: readonly number[], offset = 0) =>
  buf.length >= offset + bytes.length && bytes.every((b, i) => buf[offset + i] === b);

const ascii = (buf: Buffer, start: number, end: number) =>
  buf.subarray(start, Math.min(end, buf.length)).toString('latin1');

// ISO BMFF brands: AVIF is the AV1 flavour of HEIF. HEIC (HEVC) is not decodable by sharp's
// prebuilt libvips, so it is refused up front rather than failing deep in the decoder.
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

function sniffIsoBmff(buf: Buffer): Sniffed | undefined {
  if (ascii(buf, 4, 8) !== 'ftyp') return undefined;
  const boxSize = buf.readUInt32BE(0);
  const end = Math.min(Math.max(boxSize, 16), buf.length, 256);
  const brands = [ascii(buf, 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(buf, at, at + 4));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return { accepted: true, format: 'avif' };
  if (brands.some((b) => HEIF_BRANDS.has(b))) return { accepted: false, detected: 'heif' };
  return { accepted: false, detected: 'iso-bmff' };
}

// Editors save text with a byte order mark; it must not hide an SVG. The BOM says how to decode
// the rest (TextDecoder drops the BOM itself). Without one, latin1 reads any ASCII-compatible text.
const BOMS = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
] as const;

function textHead(buf: Buffer): string {
  const head = buf.subarray(0, 1024);
  const bom = BOMS.find((b) => startsWith(head, b.bytes));
  return bom ? new TextDecoder(bom.encoding).decode(head) : head.toString('latin1');
}

function sniffText(buf: Buffer): string | undefined {
  const head = textHead(buf).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg';
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
  if (head.startsWith('<?xml')) return 'xml';
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  return undefined;
}

export function sniffFormat(buf: Buffer): Sniffed {
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return { accepted: true, format: 'jpeg' };
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { accepted: true, format: 'png' };
  }
  const six = ascii(buf, 0, 6);
  if (six === 'GIF87a' || six === 'GIF89a') return { accepted: true, format: 'gif' };
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') {
    return { accepted: true, format: 'webp' };
  }
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { accepted: true, format: 'tiff' };
  }
  if (buf.length >= 12) {
    const iso = sniffIsoBmff(buf);
    if (iso) return iso;
  }
  if (ascii(buf, 0, 5) === '%PDF-') return { accepted: false, detected: 'pdf' };
  if (ascii(buf, 0, 2) === 'BM') return { accepted: false, detected: 'bmp' };
  if (ascii(buf, 0, 4) === '8BPS') return { accepted: false, detected: 'psd' };
  if (startsWith(buf, [0xff, 0x0a]) || ascii(buf, 4, 12) === 'JXL \r\n\x87\n') {
    return { accepted: false, detected: 'jxl' };
  }
  if (startsWith(buf, [0x00, 0x00, 0x01, 0x00])) return { accepted: false, detected: 'ico' };
  return { accepted: false, detected: sniffText(buf) ?? 'unknown' };
}
