import { AppError } from '../errors/app-error';
import type { ResolvedVariant } from './variant-key';

export interface Size {
  width: number;
  height: number;
}

/** The fraction (at most 1: never enlarged) of the source's size a variant is made from. */
export function scaleNeeded(variant: ResolvedVariant, source: Size): number {
  const x = variant.width === undefined ? undefined : variant.width / source.width;
  const y = variant.height === undefined ? undefined : variant.height / source.height;
  let scale: number;
  if (x === undefined || y === undefined) scale = x ?? y ?? 1;
  // The image fits inside the box: the tighter side decides. Cover, outside and fill need both.
  else
    scale = variant.fit === 'inside' || variant.fit === 'contain' ? Math.min(x, y) : Math.max(x, y);
  return Math.min(1, scale);
}

/**
 * The size of the image a variant comes out as, at most. A box with both sides (cover crops to
 * it, contain pads to it, fill stretches to it) bounds the output; an open side (only a width,
 * or only a height), `inside` and `outside` follow the source's aspect ratio, so a
 * 1 x 10,000,000 strip asked for at width 200 stays 10,000,000 tall: what the caller must bound.
 */
export function outputSize(variant: ResolvedVariant, source: Size): Size {
  const { width, height, fit } = variant;
  if (width !== undefined && height !== undefined && fit !== 'inside' && fit !== 'outside') {
    return { width, height };
  }
  const scale = scaleNeeded(variant, source);
  return {
    width: Math.max(1, Math.round(source.width * scale)),
    height: Math.max(1, Math.round(source.height * scale)),
  };
}

/**
 * Refuses a variant that would come out with a side over MAX_OUTPUT_DIMENSION: a width alone on
 * a tall strip (or a height alone on a wide one) keeps the source's aspect ratio. Refused rather
 * than bounded: a strip squeezed to fit would not be the image asked for, and the caller can
 * ask for a box.
 */
export function checkOutputSizes(variants: readonly ResolvedVariant[], source: Size, max: number) {
  for (const variant of variants) {
    const out = outputSize(variant, source);
    if (out.width > max || out.height > max) {
      throw new AppError(
        'OUTPUT_TOO_LARGE',
        `the ${source.width}x${source.height} image would come out ${out.width}x${out.height}, over the maximum side of ${max}; give both a width and a height`,
      );
    }
  }
}
