import { outputFormatWithoutHeader } from '../domain/output-format';
import {
  decodeRecord,
  encodeRecord,
  recordKey,
  withVariants,
  type UploadRecord,
} from '../domain/upload-record';
import { variantKey, variantName, type ResolvedVariant } from '../domain/variant-key';
import type { VariantRequest } from '../domain/variant-set';
import type { ImagePipeline } from '../image/image-pipeline';
import type { ImageStore } from '../storage/image-store';
import type { StoredVariant, StoreResult, Upload } from './image-service';

export type Wanted = { variant: ResolvedVariant; key: string }[];

interface LookupDeps {
  pipeline: Pick<ImagePipeline, 'sniff'>;
  store: Pick<ImageStore, 'head' | 'put'>;
  keyPrefix: string;
  stored: (
    key: string,
    format: StoredVariant['format'],
    w: number,
    h: number,
    bytes: number,
  ) => StoredVariant;
}

/**
 * What S3 already holds of an upload's variants: one HEAD, of the upload's record
 * (src/domain/upload-record.ts), whatever the set and whether it hits or not.
 */
export function variantLookups({ pipeline, store, keyPrefix, stored }: LookupDeps) {
  /** The keys, when the magic bytes alone decide every output format; else undefined. */
  function keysWithoutHeader(upload: Upload, requests: readonly VariantRequest[]) {
    const format = pipeline.sniff(upload.data);
    const wanted: Wanted = [];
    for (const request of requests) {
      const output = format && outputFormatWithoutHeader(request.format, format);
      if (!output) return undefined;
      const variant = { ...request, format: output };
      wanted.push({ variant, key: variantKey(keyPrefix, upload.digest, variant) });
    }
    return wanted;
  }

  return {
    /**
     * The look-up done before the header is read, when the magic bytes alone decide every
     * output format (all but a TIFF kept as `original`): undefined when they do not.
     */
    async beforeProbe(upload: Upload, requests: readonly VariantRequest[], signal: AbortSignal) {
      const wanted = keysWithoutHeader(upload, requests);
      return wanted && this.lookUp(upload, wanted, signal);
    },

    /**
     * `found` holds the wanted variants the record lists (undefined where it does not);
     * `hit` is the whole answer when it lists them all. `record` is kept so that writing it
     * again adds to what it said.
     */
    async lookUp(upload: Upload, wanted: Wanted, signal: AbortSignal) {
      const info = await store.head(recordKey(keyPrefix, upload.digest), signal);
      const record = info && decodeRecord(info.metadata);
      const found = wanted.map(({ variant, key }) => {
        const v = record?.variants.get(variantName(variant));
        return v && stored(key, variant.format, v.width, v.height, v.bytes);
      });
      const hit: StoreResult | undefined =
        record && found.every((v): v is StoredVariant => v !== undefined)
          ? {
              id: upload.digest,
              source: { ...record.source, bytes: upload.data.length },
              variants: found,
              deduplicated: true,
            }
          : undefined;
      return { found, record, hit };
    },

    /** Adds a set whose variants all exist now to the record (never before: it vouches for them). */
    async record(
      before: UploadRecord | undefined,
      variants: readonly ResolvedVariant[],
      result: StoreResult,
      signal: AbortSignal,
    ) {
      const { format, width, height } = result.source;
      const made = variants.map((variant, i) => {
        const v = result.variants[i]!;
        return [
          variantName(variant),
          { width: v.width, height: v.height, bytes: v.bytes },
        ] as const;
      });
      await store.put(
        {
          key: recordKey(keyPrefix, result.id),
          body: Buffer.alloc(0),
          contentType: 'application/octet-stream',
          cacheControl: 'no-store',
          metadata: encodeRecord(withVariants(before, { format, width, height }, made)),
          overwrite: true,
        },
        signal,
      );
    },
  };
}
