import {
  outputFormatWithoutHeader,
  SOURCE_FORMATS,
  type SourceFormat,
} from '../domain/output-format';
import { variantKey, type ResolvedVariant } from '../domain/variant-key';
import type { VariantRequest } from '../domain/variant-set';
import type { ImagePipeline } from '../image/image-pipeline';
import type { ImageStore, StoredObjectInfo } from '../storage/image-store';
import type { StoredVariant, StoreResult, Upload } from './image-service';

export type Wanted = { variant: ResolvedVariant; key: string }[];

interface LookupDeps {
  pipeline: Pick<ImagePipeline, 'sniff'>;
  store: Pick<ImageStore, 'head'>;
  keyPrefix: string;
  stored: (
    key: string,
    format: StoredVariant['format'],
    w: number,
    h: number,
    bytes: number,
  ) => StoredVariant;
}

const positiveInt = (text: string | undefined) => {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

const isSourceFormat = (text: string | undefined): text is SourceFormat =>
  (SOURCE_FORMATS as readonly (string | undefined)[]).includes(text);

/** What S3 already holds of an upload's variants: one HEAD per key, all at once. */
export function variantLookups({ pipeline, store, keyPrefix, stored }: LookupDeps) {
  /** An object written by us carries its dimensions; one without them is treated as missing. */
  const fromStored = (variant: ResolvedVariant, info: StoredObjectInfo) => {
    const width = positiveInt(info.metadata.width);
    const height = positiveInt(info.metadata.height);
    return width && height
      ? stored(info.key, variant.format, width, height, info.bytes)
      : undefined;
  };

  const look = (wanted: Wanted, signal: AbortSignal) =>
    Promise.all(wanted.map(({ key }) => store.head(key, signal)));

  return {
    /** The variants that exist, in the order asked (undefined where missing). */
    async heads(wanted: Wanted, signal: AbortSignal) {
      const infos = await look(wanted, signal);
      return wanted.map(({ variant }, i) => {
        const info = infos[i];
        return info && fromStored(variant, info);
      });
    },

    /**
     * The look-up done before the header is read, when the magic bytes alone decide every
     * output format (all but a TIFF kept as `original`): undefined when they do not. `hit` is the
     * whole answer when every variant exists and carries its source's facts (objects written
     * before those were recorded do not: they go the long way, once).
     */
    async beforeProbe(upload: Upload, requests: readonly VariantRequest[], signal: AbortSignal) {
      const format = pipeline.sniff(upload.data);
      const wanted: Wanted = [];
      for (const request of requests) {
        const output = format && outputFormatWithoutHeader(request.format, format);
        if (!output) return undefined;
        const variant = { ...request, format: output };
        wanted.push({ variant, key: variantKey(keyPrefix, upload.sha256, variant) });
      }
      const infos = await look(wanted, signal);
      const found = wanted.map(({ variant }, i) => {
        const info = infos[i];
        return info && fromStored(variant, info);
      });
      const meta = infos[0]?.metadata ?? {};
      const width = positiveInt(meta['source-width']);
      const height = positiveInt(meta['source-height']);
      const sourceFormat = meta['source-format'];
      const complete = found.every((v): v is StoredVariant => v !== undefined);
      const hit: StoreResult | undefined =
        complete && width && height && isSourceFormat(sourceFormat)
          ? {
              id: upload.sha256,
              source: { format: sourceFormat, width, height, bytes: upload.data.length },
              variants: found,
              deduplicated: true,
            }
          : undefined;
      return { found, hit };
    },
  };
}
