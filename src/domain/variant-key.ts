import { DIGEST_PATTERN } from './content-digest';
import { EXTENSIONS } from './output-format';
import type { Fit, OutputFormat } from './variant-set';

/** A variant with its output format decided (`original` resolved against the source). */
export interface ResolvedVariant {
  width?: number;
  height?: number;
  fit: Fit;
  format: OutputFormat;
  quality: number;
}

/**
 * A name made only from the parameters that change the output bytes, e.g. `w640-h480-cover-q80.webp`.
 * Fit only matters when both sides are set, and PNG output is lossless so quality is left out:
 * equal outputs get equal names, and so one object in S3.
 */
export function variantName(variant: ResolvedVariant): string {
  const parts: string[] = [];
  if (variant.width !== undefined) parts.push(`w${variant.width}`);
  if (variant.height !== undefined) parts.push(`h${variant.height}`);
  if (variant.width !== undefined && variant.height !== undefined) parts.push(variant.fit);
  if (variant.format !== 'png') parts.push(`q${variant.quality}`);
  return `${parts.join('-')}.${EXTENSIONS[variant.format]}`;
}

/**
 * `<prefix><digest of the source bytes>/<variant name>`: content-addressed, so the same upload
 * always maps to the same keys (idempotent retries, free dedupe) and nothing the client sends
 * (file name, headers) can reach a key.
 */
export function variantKey(prefix: string, sourceDigest: string, variant: ResolvedVariant): string {
  if (!DIGEST_PATTERN.test(sourceDigest)) throw new Error('source digest must be 256 bits in hex');
  return `${prefix}${sourceDigest}/${variantName(variant)}`;
}
