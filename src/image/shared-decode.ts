import { scaleNeeded } from '../domain/output-size';
import type { ResolvedVariant } from '../domain/variant-key';

/**
 * The largest shared copy, in pixels: 4 MP is 16 MB as 8-bit RGBA, held by one job while its
 * variants are made. Bigger would multiply per-job memory by MAX_CONCURRENT_JOBS for little gain
 * (the variants it would serve are near full size, where decoding per variant costs the same).
 */
export const MAX_SHARED_PIXELS = 4_000_000;

/**
 * Size of one decoded and downscaled copy of the source that every variant can be made from,
 * or undefined when decoding once per variant is better: a single variant, a variant at full
 * size, or a copy over MAX_SHARED_PIXELS. Decoding dominates the cost (a JPEG's entropy decoding
 * is the same work at any scale), so several widths cost markedly less CPU this way (measured
 * in docs/performance.md, "One shared decode"). Sizes are rounded up, so every
 * variant is a reduction of the copy; a variant's side can differ by a pixel from one made
 * straight from the source.
 */
export function sharedSize(
  variants: readonly ResolvedVariant[],
  source: { width: number; height: number },
): { width: number; height: number } | undefined {
  if (variants.length < 2) return undefined;
  const scale = Math.max(...variants.map((v) => scaleNeeded(v, source)));
  if (scale >= 1) return undefined;
  const width = Math.ceil(source.width * scale);
  const height = Math.ceil(source.height * scale);
  return width * height <= MAX_SHARED_PIXELS ? { width, height } : undefined;
}
