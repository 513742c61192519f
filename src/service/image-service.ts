import { createHash } from 'node:crypto';
import { CONTENT_TYPES, resolveOutputFormat } from '../domain/output-format';
import { variantKey, type ResolvedVariant } from '../domain/variant-key';
import type { VariantRequest } from '../domain/variant-set';
import type { ImagePipeline, SourceInfo } from '../image/image-pipeline';
import type { Metrics } from '../observability/metrics';
import type { ImageStore, StoredObjectInfo } from '../storage/image-store';
import type { JobLimiter } from './job-limiter';
import { ioSignal, type RequestScope } from './request-scope';

/** An upload as received: the bytes and their sha256 (the content address). */
export interface Upload {
  data: Buffer;
  readonly sha256: string;
}

export interface StoredVariant {
  key: string;
  url?: string;
  width: number;
  height: number;
  format: ResolvedVariant['format'];
  bytes: number;
}

export interface StoreResult {
  id: string;
  source: { format: SourceInfo['format']; width: number; height: number; bytes: number };
  variants: StoredVariant[];
  /** True when every variant already existed, so nothing was processed or written. */
  deduplicated: boolean;
}

export interface ImageServiceDeps {
  pipeline: ImagePipeline;
  store: ImageStore;
  limiter: JobLimiter;
  metrics: Metrics;
  keyPrefix: string;
  publicBaseUrl?: string;
}

// Keys are content-addressed, so an object never changes once written: cache it for a year.
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

const resolveAll = (requests: readonly VariantRequest[], source: SourceInfo): ResolvedVariant[] =>
  requests.map((r) => ({ ...r, format: resolveOutputFormat(r.format, source) }));

const positiveInt = (text: string | undefined) => {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

export function createImageService(deps: ImageServiceDeps) {
  const { pipeline, store, metrics, limiter } = deps;
  const urlOf = (key: string) => (deps.publicBaseUrl ? deps.publicBaseUrl + key : undefined);

  const stored = (
    key: string,
    format: StoredVariant['format'],
    width: number,
    height: number,
    bytes: number,
  ): StoredVariant => ({ key, url: urlOf(key), width, height, format, bytes });

  /** An object written by us carries its dimensions; one without them is treated as missing. */
  const fromStored = (variant: ResolvedVariant, info: StoredObjectInfo) => {
    const width = positiveInt(info.metadata.width);
    const height = positiveInt(info.metadata.height);
    return width && height
      ? stored(info.key, variant.format, width, height, info.bytes)
      : undefined;
  };

  /** Reads the header (refusing what is not an acceptable image) and counts the upload. */
  async function probe(upload: Upload) {
    const source = await pipeline.probe(upload.data);
    metrics.sourceBytes.observe(upload.data.length);
    return source;
  }

  /** CPU work goes through the limiter: a slot, bounded waiting, the request's deadline. */
  function render(
    upload: Upload,
    source: SourceInfo,
    variants: ResolvedVariant[],
    scope: RequestScope,
  ) {
    return limiter.run(async () => {
      // Time in a slot only: queue wait is visible in http_request_duration_seconds.
      const end = metrics.imageProcessing.startTimer({ format: variants[0]?.format ?? 'none' });
      try {
        return await pipeline.render(upload.data, variants, {
          signal: scope.signal,
          deadline: scope.deadline,
          source,
        });
      } finally {
        end();
      }
    }, scope);
  }

  return {
    /** Makes the requested variants that do not exist yet and stores them. Idempotent. */
    async storeVariants(
      upload: Upload,
      requests: readonly VariantRequest[],
      scope: RequestScope,
    ): Promise<StoreResult> {
      const source = await probe(upload);
      const variants = resolveAll(requests, source);
      const keys = variants.map((v) => variantKey(deps.keyPrefix, upload.sha256, v));
      const existing = await Promise.all(
        keys.map(async (key, i) => {
          const info = await store.head(key, ioSignal(scope));
          return info && fromStored(variants[i] as ResolvedVariant, info);
        }),
      );
      const missing = variants.filter((_, i) => !existing[i]);
      metrics.variantsDeduplicated.inc(variants.length - missing.length);

      const rendered = missing.length > 0 ? await render(upload, source, missing, scope) : [];
      const made = new Map<ResolvedVariant, StoredVariant>();
      await Promise.all(
        rendered.map(async ({ variant, data, width, height }) => {
          const key = keys[variants.indexOf(variant)] as string;
          await store.put(
            {
              key,
              body: data,
              contentType: CONTENT_TYPES[variant.format],
              cacheControl: CACHE_CONTROL,
              metadata: {
                'source-sha256': upload.sha256,
                width: String(width),
                height: String(height),
              },
            },
            ioSignal(scope),
          );
          metrics.variantsProduced.inc({ format: variant.format });
          made.set(variant, stored(key, variant.format, width, height, data.length));
        }),
      );
      return {
        id: upload.sha256,
        source: {
          format: source.format,
          width: source.width,
          height: source.height,
          bytes: upload.data.length,
        },
        variants: variants.map((v, i) => (existing[i] ?? made.get(v)) as StoredVariant),
        deduplicated: missing.length === 0,
      };
    },

    /** Makes one variant and returns its bytes; nothing is stored. */
    async renderOne(upload: Upload, request: VariantRequest, scope: RequestScope) {
      const source = await probe(upload);
      const [out] = await render(upload, source, resolveAll([request], source), scope);
      if (!out) throw new Error('pipeline returned no variant');
      return {
        data: out.data,
        contentType: CONTENT_TYPES[out.variant.format],
        width: out.width,
        height: out.height,
        etag: `"${createHash('sha256').update(out.data).digest('base64url').slice(0, 27)}"`,
      };
    },
  };
}

export type ImageService = ReturnType<typeof createImageService>;
