import type { FormatChoice, OutputFormat } from './variant-set';

/** Formats accepted as input (decided from magic bytes, never from the client's headers). */
export const SOURCE_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
};

export const EXTENSIONS: Record<OutputFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
};

/**
 * `format=original` keeps the source's format where browsers can show it. GIF becomes PNG
 * (lossless, keeps transparency; only the first frame is used), TIFF becomes JPEG when opaque
 * (TIFFs are mostly scans and photos) and PNG when it has an alpha channel.
 */
export function resolveOutputFormat(
  choice: FormatChoice,
  source: { format: SourceFormat; hasAlpha: boolean },
): OutputFormat {
  if (choice !== 'original') return choice;
  switch (source.format) {
    case 'gif':
      return 'png';
    case 'tiff':
      return source.hasAlpha ? 'png' : 'jpeg';
    default:
      return source.format;
  }
}

/**
 * The output format when the source's format alone decides it (everything but a TIFF asked for
 * as `original`, whose transparency decides), or undefined when the header is needed.
 */
export function outputFormatWithoutHeader(
  choice: FormatChoice,
  format: SourceFormat,
): OutputFormat | undefined {
  return format === 'tiff' && choice === 'original'
    ? undefined
    : resolveOutputFormat(choice, { format, hasAlpha: false });
}
