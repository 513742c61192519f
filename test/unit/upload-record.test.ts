import {
  decodeRecord,
  encodeRecord,
  MAX_LIST_BYTES,
  recordKey,
  withVariants,
  type UploadRecord,
} from '../../src/domain/upload-record';
import { variantName } from '../../src/domain/variant-key';
import { FITS, MAX_WIDTHS, OUTPUT_FORMATS } from '../../src/domain/variant-set';

const source = { format: 'jpeg' as const, width: 4000, height: 3000 };
const entry = (width: number) =>
  [`w${width}-q80.jpg`, { width, height: width, bytes: 1000 + width }] as const;
// S3 counts every name and value of the user metadata against 2 KB.
const metadataBytes = (meta: Record<string, string>) =>
  Object.entries(meta).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );

describe('the upload record', () => {
  it('reads back what it wrote, newest first', () => {
    const first = withVariants(undefined, source, [entry(100), entry(200)]);
    const second = withVariants(first, source, [entry(300), entry(100)]);
    const read = decodeRecord(encodeRecord(second));
    expect(read?.source).toEqual(source);
    expect([...(read?.variants ?? [])]).toEqual([entry(300), entry(100), entry(200)]);
  });

  it('lives beside the variants, under a name without an extension (every variant has one)', () => {
    expect(recordKey('images/', 'a'.repeat(64))).toBe(`images/${'a'.repeat(64)}/record`);
  });

  it('parses every name a variant can have', () => {
    const names = FITS.flatMap((fit) =>
      OUTPUT_FORMATS.map((format) =>
        variantName({ width: 8192, height: 77, fit, format, quality: 100 }),
      ),
    );
    const record: UploadRecord = {
      source,
      variants: new Map(names.map((n) => [n, { width: 8192, height: 77, bytes: 12345678 }])),
    };
    expect([...(decodeRecord(encodeRecord(record))?.variants.keys() ?? [])]).toEqual(names);
  });

  it('stays under S3 metadata limit (2 KB), dropping the oldest entries, never the set just made', () => {
    let record: UploadRecord | undefined;
    const longest = (i: number) =>
      [
        variantName({
          width: 10000 + i,
          height: 10000,
          fit: 'outside',
          format: 'avif',
          quality: 100,
        }),
        { width: 10000, height: 10000, bytes: 999_999_999 },
      ] as const;
    for (let set = 0; set < 20; set++) {
      const made = Array.from({ length: MAX_WIDTHS }, (_, i) => longest(set * MAX_WIDTHS + i));
      record = withVariants(record, source, made);
      const meta = encodeRecord(record);
      expect(meta.variants!.length).toBeLessThanOrEqual(MAX_LIST_BYTES);
      expect(metadataBytes(meta)).toBeLessThanOrEqual(2048);
      const listed = [...(decodeRecord(meta)?.variants.keys() ?? [])];
      const held = [...record.variants.keys()];
      // The newest first, in order, and only the oldest cut.
      expect(listed.slice(0, MAX_WIDTHS)).toEqual(made.map(([name]) => name));
      expect(listed).toEqual(held.slice(0, listed.length));
      if (set >= 4) expect(listed.length).toBeLessThan(held.length);
    }
  });

  it('leaves out what does not parse, and is no record without the source facts', () => {
    const meta = encodeRecord(withVariants(undefined, source, [entry(100), entry(200)]));
    const damaged = {
      ...meta,
      variants: `${meta.variants},w300-q80.jpg=0x5:1,junk,w400-q80.jpg=4x4`,
    };
    expect([...(decodeRecord(damaged)?.variants.keys() ?? [])]).toEqual([
      'w100-q80.jpg',
      'w200-q80.jpg',
    ]);
    expect(decodeRecord({ ...meta, 'source-width': '0' })).toBeUndefined();
    expect(decodeRecord({ ...meta, 'source-format': 'bmp' })).toBeUndefined();
    expect(decodeRecord({})).toBeUndefined();
  });
});
