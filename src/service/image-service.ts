import { createHash } from 'node:crypto';
import { CONTENT_TYPES, resolveOutputFormat } from '../domain/output-format';
import { DIGEST_NAME } from '../domain/content-digest';
import { checkOutputSizes } from '../domain/output-size';
import { sourceMetadata } from '../domain/upload-record';
import { variantKey, type ResolvedVariant } from '../domain/variant-key';
import type { VariantRequest } from '../domain/variant-set';
import type { ImagePipeline, SourceInfo } from '../image/image-pipeline';
import type { Metrics } from '../observability/metrics';
import type { ImageStore } from '../storage/image-store';
import { variantLookups } from './variant-lookups';
import type { Capacity } from '../capacity/capacity';
import { ioSignal, type RequestScope } from '../capacity/request-scope';

/** An upload as received: its bytes and their digest (the content address, content-digest.ts). */
export interface Upload {
  data: Buffer;
  readonly digest: string;
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
  capacity: Pick<Capacity, 'runJob'>;
  metrics: Metrics;
  /** MAX_OUTPUT_DIMENSION: no side of any output may exceed it. */
  maxOutputDimension: number;
  keyPrefix: string;
  publicBaseUrl?: string;
}

// Keys are content-addressed, so an object never changes once written: cache it for a year.
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

const resolveAll = (requests: readonly VariantRequest[], source: SourceInfo): ResolvedVariant[] =>
  requests.map((r) => ({ ...r, format: resolveOutputFormat(r.format, source) }));

export function createImageService(deps: ImageServiceDeps) {
  const { pipeline, store, metrics, capacity } = deps;
  const urlOf = (key: string) => (deps.publicBaseUrl ? deps.publicBaseUrl + key : undefined);

  const stored = (
    key: string,
    format: StoredVariant['format'],
    width: number,
    height: number,
    bytes: number,
  ): StoredVariant => ({ key, url: urlOf(key), width, height, format, bytes });

  const lookups = variantLookups({ pipeline, store, keyPrefix: deps.keyPrefix, stored });

  /** A repeat: nothing to make, nothing to write. */
  function hit(result: StoreResult) {
    metrics.sourceBytes.observe(result.source.bytes);
    metrics.variantsDeduplicated.inc(result.variants.length);
    return result;
  }

  // The two CPU steps. Both touch the image's bytes, so both run in a processing slot, within
  // the request's deadline (a header read is cheap for a sane file and bounded for a hostile one,
  // but it is work on untrusted bytes all the same).

  /** Reads the header (refusing what is not an acceptable image); resolves and bounds variants. */
  async function probe(upload: Upload, requests: readonly VariantRequest[]) {
    const source = await pipeline.probe(upload.data);
    metrics.sourceBytes.observe(upload.data.length);
    const variants = resolveAll(requests, source);
    checkOutputSizes(variants, source, deps.maxOutputDimension);
    return { source, variants };
  }

  async function render(
    upload: Upload,
    source: SourceInfo,
    variants: ResolvedVariant[],
    scope: RequestScope,
  ) {
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
  }

  return {
    /** Makes the requested variants that do not exist yet and stores them. Idempotent. */
    async storeVariants(
      upload: Upload,
      requests: readonly VariantRequest[],
      scope: RequestScope,
    ): Promise<StoreResult> {
      // A repeat upload needs no image work: keys are content addresses, so a variant that
      // exists was made from these very bytes, which passed every check then. When the magic
      // bytes decide the output formats, look first, and answer a full hit without a slot.
      const signal = ioSignal(scope);
      const early = await lookups.beforeProbe(upload, requests, signal);
      if (early?.hit) return hit(early.hit);
      // Two slots, one after the other: the look-up in between (when the header decides the
      // format) is an S3 round trip, which must not hold a CPU slot.
      const { source, variants } = await capacity.runJob(() => probe(upload, requests), scope);
      const wanted = variants.map((variant) => ({
        variant,
        key: variantKey(deps.keyPrefix, upload.digest, variant),
      }));
      // Looked up before the probe: the same keys (same bytes, same variants), not asked again.
      const looked = early ?? (await lookups.lookUp(upload, wanted, signal));
      if (looked.hit) return hit(looked.hit);
      const existing = looked.found;
      const missing = wanted.filter((_, i) => !existing[i]);
      metrics.variantsDeduplicated.inc(wanted.length - missing.length);

      // Not a hit, and a set has at least one variant (checkVariantSet): one at least is missing.
      const rendered = await capacity.runJob(
        () =>
          render(
            upload,
            source,
            missing.map((m) => m.variant),
            scope,
          ),
        scope,
      );
      // The pipeline answers in the order it was asked: rendered[i] is missing[i].
      const made = await Promise.all(
        missing.map(async ({ variant, key }, i) => {
          const out = rendered[i];
          if (!out) throw new Error('the pipeline returned fewer variants than asked');
          const { data, width, height } = out;
          await store.put(
            {
              key,
              body: data,
              contentType: CONTENT_TYPES[variant.format],
              cacheControl: CACHE_CONTROL,
              // The source's facts too: an object in the bucket says where it came from.
              metadata: {
                [`source-${DIGEST_NAME}`]: upload.digest,
                ...sourceMetadata(source),
                width: String(width),
                height: String(height),
              },
            },
            ioSignal(scope),
          );
          metrics.variantsProduced.inc({ format: variant.format });
          return stored(key, variant.format, width, height, data.length);
        }),
      );
      const madeByKey = new Map(made.map((m) => [m.key, m]));
      const result: StoreResult = {
        id: upload.digest,
        source: {
          format: source.format,
          width: source.width,
          height: source.height,
          bytes: upload.data.length,
        },
        variants: wanted.map(({ key }, i) => (existing[i] ?? madeByKey.get(key)) as StoredVariant),
        deduplicated: false,
      };
      // Every variant of the set exists now: the record may say so.
      await lookups.record(looked.record, variants, result, signal);
      return result;
    },

    /** Makes one variant and returns its bytes; nothing is stored. */
    async renderOne(upload: Upload, request: VariantRequest, scope: RequestScope) {
      // One slot for both steps: nothing waits in between.
      const [out] = await capacity.runJob(async () => {
        const { source, variants } = await probe(upload, [request]);
        return render(upload, source, variants, scope);
      }, scope);
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
