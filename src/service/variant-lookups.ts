import { outputFormatWithoutHeader } from '../domain/output-format';
import { variantKey, type ResolvedVariant } from '../domain/variant-key';
import type { VariantRequest } from '../domain/variant-set';
import {
  decodeSetRecord,
  decodeSource,
  encodeSetRecord,
  positiveInt,
  setRecordKey,
  type VariantSetRecord,
} from '../domain/variant-set-record';
import type { ImagePipeline } from '../image/image-pipeline';
import type { ImageStore, StoredObjectInfo } from '../storage/image-store';
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
 * What S3 already holds of an upload's variants. A repeat of a set is one HEAD (its record,
 * src/domain/variant-set-record.ts); otherwise one HEAD per variant, all at once.
 */
export function variantLookups({ pipeline, store, keyPrefix, stored }: LookupDeps) {
  /** An object written by us carries its dimensions; one without them is treated as missing. */
  const fromStored = (variant: ResolvedVariant, info: StoredObjectInfo) => {
    const width = positiveInt(info.metadata.width);
    const height = positiveInt(info.metadata.height);
    return width && height
      ? stored(info.key, variant.format, width, height, info.bytes)
      : undefined;
  };

  /** The variants that exist, in the order asked (undefined where missing). */
  async function heads(wanted: Wanted, signal: AbortSignal) {
    const infos = await Promise.all(wanted.map(({ key }) => store.head(key, signal)));
    return {
      infos,
      found: wanted.map(({ variant }, i) => infos[i] && fromStored(variant, infos[i])),
    };
  }

  const answer = (upload: Upload, wanted: Wanted, record: VariantSetRecord): StoreResult => ({
    id: upload.sha256,
    source: { ...record.source, bytes: upload.data.length },
    variants: wanted.map(({ variant, key }, i) => {
      const v = record.variants[i]!;
      return stored(key, variant.format, v.width, v.height, v.bytes);
    }),
    deduplicated: true,
  });

  /** The keys, when the magic bytes alone decide every output format; else undefined. */
  function keysWithoutHeader(upload: Upload, requests: readonly VariantRequest[]) {
    const format = pipeline.sniff(upload.data);
    const wanted: Wanted = [];
    for (const request of requests) {
      const output = format && outputFormatWithoutHeader(request.format, format);
      if (!output) return undefined;
      const variant = { ...request, format: output };
      wanted.push({ variant, key: variantKey(keyPrefix, upload.sha256, variant) });
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
     * The set's record first (one HEAD), else every variant at once. `hit` is the whole answer
     * when the record exists, or when every variant exists and carries its source's facts;
     * `recorded` says whether the record exists (the caller writes it once all variants do).
     */
    async lookUp(upload: Upload, wanted: Wanted, signal: AbortSignal) {
      const recordKey = setRecordKey(
        keyPrefix,
        upload.sha256,
        wanted.map((w) => w.variant),
      );
      const record = await store.head(recordKey, signal);
      const known = record && decodeSetRecord(record.metadata, wanted.length);
      if (known) {
        return { wanted, found: undefined, hit: answer(upload, wanted, known), recorded: true };
      }
      const { infos, found } = await heads(wanted, signal);
      const source = infos[0] && decodeSource(infos[0].metadata);
      const variants = found.filter((v) => v !== undefined);
      const complete = source && variants.length === wanted.length;
      return {
        wanted,
        found,
        hit: complete ? answer(upload, wanted, { source, variants }) : undefined,
        recorded: false,
      };
    },

    /** Writes the record of a set whose variants all exist (never before: it vouches for them). */
    async record(variants: readonly ResolvedVariant[], result: StoreResult, signal: AbortSignal) {
      const { format, width, height } = result.source;
      await store.put(
        {
          key: setRecordKey(keyPrefix, result.id, variants),
          body: Buffer.alloc(0),
          contentType: 'application/octet-stream',
          cacheControl: 'no-store',
          metadata: encodeSetRecord({
            source: { format, width, height },
            variants: result.variants,
          }),
        },
        signal,
      );
    },
  };
}

/** What a look-up found: the answer on a hit, else the variants that exist. */
export type Looked = Awaited<ReturnType<ReturnType<typeof variantLookups>['lookUp']>>;
