/**
 * What a client (or an operator's preset) asks for: a set of variants sharing everything but
 * their width. Pure rules, no I/O: used by request parsing and by config validation, so a
 * preset can never describe something a request could not.
 */
export const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;
export type Fit = (typeof FITS)[number];

export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const FORMAT_CHOICES = [...OUTPUT_FORMATS, 'original'] as const;
export type FormatChoice = (typeof FORMAT_CHOICES)[number];

/** More variants per request multiplies CPU per upload; 8 covers every srcset in practice. */
export const MAX_WIDTHS = 8;
export const DEFAULT_FIT: Fit = 'inside';
export const DEFAULT_FORMAT: FormatChoice = 'original';
export const DEFAULT_QUALITY = 80;

export interface VariantSet {
  /** Empty only when `height` is set: then one variant of that height. */
  widths: number[];
  height?: number;
  fit: Fit;
  format: FormatChoice;
  quality: number;
}

/** One variant to make: a box (either side may be open), a fit, a format and a quality. */
export interface VariantRequest {
  width?: number;
  height?: number;
  fit: Fit;
  format: FormatChoice;
  quality: number;
}

export interface VariantProblem {
  field: string;
  message: string;
}

const checkDimension = (field: string, value: number, max: number): VariantProblem | undefined => {
  if (!Number.isInteger(value)) return { field, message: `${value} is not a whole number` };
  if (value < 1) return { field, message: `${value} is below 1` };
  if (value > max) return { field, message: `${value} is above the maximum ${max}` };
  return undefined;
};

/** Returns the first rule the set breaks, or undefined when it is valid. */
export function checkVariantSet(set: VariantSet, maxDimension: number): VariantProblem | undefined {
  if (set.widths.length === 0 && set.height === undefined) {
    return { field: 'widths', message: 'give at least one width or a height' };
  }
  if (set.widths.length > MAX_WIDTHS) {
    return { field: 'widths', message: `${set.widths.length} widths given, at most ${MAX_WIDTHS}` };
  }
  const seen = new Set<number>();
  for (const width of set.widths) {
    const problem = checkDimension('widths', width, maxDimension);
    if (problem) return problem;
    if (seen.has(width)) return { field: 'widths', message: `${width} is given twice` };
    seen.add(width);
  }
  if (set.height !== undefined) {
    const problem = checkDimension('height', set.height, maxDimension);
    if (problem) return problem;
  }
  if (!FITS.includes(set.fit)) {
    return { field: 'fit', message: `${String(set.fit)} is not one of ${FITS.join(', ')}` };
  }
  // With an open side the aspect ratio decides the box and every fit gives the same image;
  // a non-default fit there is almost certainly a client mistake, so say so.
  if (set.fit !== DEFAULT_FIT && (set.widths.length === 0 || set.height === undefined)) {
    return { field: 'fit', message: `${set.fit} needs both widths and a height` };
  }
  if (!FORMAT_CHOICES.includes(set.format)) {
    return {
      field: 'format',
      message: `${String(set.format)} is not one of ${FORMAT_CHOICES.join(', ')}`,
    };
  }
  if (!Number.isInteger(set.quality) || set.quality < 1 || set.quality > 100) {
    return { field: 'quality', message: `${set.quality} is outside 1-100` };
  }
  return undefined;
}

export function expandVariantSet(set: VariantSet): VariantRequest[] {
  const { height, fit, format, quality } = set;
  if (set.widths.length === 0) return [{ height, fit, format, quality }];
  return set.widths.map((width) => ({ width, height, fit, format, quality }));
}
