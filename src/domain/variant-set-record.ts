import type { SourceFormat } from './output-format';
import { SOURCE_FORMATS } from './output-format';
import { variantName, type ResolvedVariant } from './variant-key';

/**
 * The record of one variant set of one upload: an empty object next to the variants whose
 * metadata says what they are, so that a repeat upload of the same set is one HEAD instead of one
 * per variant. Written only after every variant in it exists; objects are never overwritten, so
 * it stays true while they stay (delete an upload's folder, `<prefix><sha256>/`, whole).
 */
export interface VariantSetRecord {
  source: { format: SourceFormat; width: number; height: number };
  /** In the order of the set: each variant's size and bytes. */
  variants: { width: number; height: number; bytes: number }[];
}

/** `<prefix><sha256>/sets/<name>+<name>...`: readable, and one per distinct set. */
export const setRecordKey = (
  prefix: string,
  sha256: string,
  variants: readonly ResolvedVariant[],
) => `${prefix}${sha256}/sets/${variants.map(variantName).join('+')}`;

/** A whole number above 0 read from S3 metadata, or undefined. */
export const positiveInt = (text: string | undefined) => {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

/** As S3 user metadata (well under its 2 KB limit: at most 8 variants of ~20 characters). */
export function encodeSetRecord(record: VariantSetRecord): Record<string, string> {
  return {
    'source-format': record.source.format,
    'source-width': String(record.source.width),
    'source-height': String(record.source.height),
    variants: record.variants.map((v) => `${v.width}x${v.height}:${v.bytes}`).join(','),
  };
}

type Metadata = Readonly<Record<string, string | undefined>>;

/**
 * The source's facts as every object we write carries them (a record and each variant), or
 * undefined when the metadata lacks them.
 */
export function decodeSource(meta: Metadata): VariantSetRecord['source'] | undefined {
  const format = SOURCE_FORMATS.find((f) => f === meta['source-format']);
  const width = positiveInt(meta['source-width']);
  const height = positiveInt(meta['source-height']);
  return format && width && height ? { format, width, height } : undefined;
}

/** The record, or undefined when the metadata is not one for a set of `count` variants. */
export function decodeSetRecord(meta: Metadata, count: number): VariantSetRecord | undefined {
  const source = decodeSource(meta);
  const variants = (meta.variants ?? '').split(',').map((entry) => {
    const m = /^(\d+)x(\d+):(\d+)$/.exec(entry);
    return m && { width: Number(m[1]), height: Number(m[2]), bytes: Number(m[3]) };
  });
  if (!source || variants.length !== count) return undefined;
  if (variants.some((v) => !v || v.width < 1 || v.height < 1)) return undefined;
  return { source, variants: variants as VariantSetRecord['variants'] };
}
