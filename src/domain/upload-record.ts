import type { SourceFormat } from './output-format';
import { SOURCE_FORMATS } from './output-format';

/** A variant as the record lists it: what a client is told about it. */
export interface RecordedVariant {
  width: number;
  height: number;
  bytes: number;
}

/**
 * The record of one upload: an empty object beside its variants whose metadata lists every
 * variant known to exist, by name (src/domain/variant-key.ts), with the source's facts. A
 * look-up is one HEAD of it, hit or miss: a repeat of any set it covers is answered from it,
 * and a set that overlaps it makes only what it lacks. It is written after the variants it
 * adds, so it never lists one that does not exist (objects are never deleted one by one:
 * remove an upload's folder, `<prefix><digest>/`, whole).
 *
 * It is the one object the service overwrites. Two requests making different sets of one
 * upload at the same moment can each write it without the other's variants: a later request
 * then makes those again (their conditional PUTs keep the objects already there) and lists
 * them. Cheaper than the alternative, one HEAD per variant on every first upload to find
 * what a record could have said (docs/performance.md, "Dedupe").
 */
export interface UploadRecord {
  source: { format: SourceFormat; width: number; height: number };
  /** By variant name, the most recently made first. */
  variants: ReadonlyMap<string, RecordedVariant>;
}

/** `<prefix><digest>/record`: no variant name lacks an extension, so none can collide with it. */
export const recordKey = (prefix: string, digest: string) => `${prefix}${digest}/record`;

/**
 * S3 allows 2 KB of user metadata per object (names and values). The list is cut to fit,
 * oldest first; a set of MAX_WIDTHS variants with the longest names is ~400 bytes, so the set
 * just made always fits.
 */
export const MAX_LIST_BYTES = 1800;

/** The record with `made` listed first (newest), then what it listed before, cut to fit. */
export function withVariants(
  record: UploadRecord | undefined,
  source: UploadRecord['source'],
  made: readonly (readonly [string, RecordedVariant])[],
): UploadRecord {
  const variants = new Map(made);
  for (const [name, v] of record?.variants ?? []) if (!variants.has(name)) variants.set(name, v);
  return { source, variants };
}

/**
 * The source's facts as S3 user metadata: on the record (a hit answers from them) and on each
 * variant (an object in the bucket says where it came from).
 */
export const sourceMetadata = (source: UploadRecord['source']): Record<string, string> => ({
  'source-format': source.format,
  'source-width': String(source.width),
  'source-height': String(source.height),
});

/** As S3 user metadata. */
export function encodeRecord(record: UploadRecord): Record<string, string> {
  const entries: string[] = [];
  let bytes = 0;
  for (const [name, v] of record.variants) {
    const entry = `${name}=${v.width}x${v.height}:${v.bytes}`;
    bytes += entry.length + 1;
    if (bytes > MAX_LIST_BYTES) break;
    entries.push(entry);
  }
  return { ...sourceMetadata(record.source), variants: entries.join(',') };
}

/** A whole number above 0 read from S3 metadata, or undefined. */
const positiveInt = (text: string | undefined) => {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

/**
 * The record, or undefined when the metadata lacks the source's facts. An entry that does not
 * parse is left out: that variant counts as missing and is made again, never answered wrong.
 */
export function decodeRecord(meta: Readonly<Record<string, string | undefined>>) {
  const format = SOURCE_FORMATS.find((f) => f === meta['source-format']);
  const width = positiveInt(meta['source-width']);
  const height = positiveInt(meta['source-height']);
  if (!format || !width || !height) return undefined;
  const variants = new Map<string, RecordedVariant>();
  for (const entry of (meta.variants ?? '').split(',')) {
    const m = /^([a-z0-9.-]+)=(\d+)x(\d+):(\d+)$/.exec(entry);
    const [w, h, bytes] = [2, 3, 4].map((i) => positiveInt(m?.[i]));
    if (m?.[1] && w && h && bytes) {
      variants.set(m[1], { width: w, height: h, bytes });
    }
  }
  return { source: { format, width, height }, variants } satisfies UploadRecord;
}
