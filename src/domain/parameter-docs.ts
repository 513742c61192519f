import { type ParamContext, type ParameterName } from './parse-params';
import {
  DEFAULT_FIT,
  DEFAULT_FORMAT,
  DEFAULT_QUALITY,
  FITS,
  FORMAT_CHOICES,
  MAX_WIDTHS,
} from './variant-set';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

export interface ParameterDoc {
  description: string;
  /** The value as it travels: query strings and form fields are text; the schema says which. */
  schema: JsonSchema;
  example: string | number;
  /** A value the parser must refuse with INVALID_PARAMETER naming this parameter (tests). */
  invalidExample: string;
}

/**
 * What a client may send, for the API reference. A Record over ParameterName, so a parameter
 * added to PARAMETER_NAMES does not compile until it is documented here; a test sends each
 * `invalidExample` and expects the parser to name the parameter, so one the parser ignores
 * fails too. The limits come from the deployment's config (ctx), as the parser applies them.
 */
export function describeParameters(ctx: ParamContext): Record<ParameterName, ParameterDoc> {
  const max = ctx.maxDimension;
  const presetNames = Object.keys(ctx.presets);
  return {
    widths: {
      description:
        `Comma-separated widths in pixels, 1-${max} each, at most ${MAX_WIDTHS}, no repeats: one ` +
        `variant per width. Default ${ctx.defaultWidths.join(',')} (none when only height is given).`,
      schema: {
        type: 'string',
        pattern: `^[0-9]+(,[0-9]+){0,${MAX_WIDTHS - 1}}$`,
        default: ctx.defaultWidths.join(','),
      },
      example: '320,640,1280',
      invalidExample: '0',
    },
    height: {
      description: `Height of the box in pixels (1-${max}). Alone: one variant of this height.`,
      schema: { type: 'integer', minimum: 1, maximum: max },
      example: 480,
      invalidExample: String(max + 1),
    },
    fit: {
      description:
        "How the image fills a width x height box (sharp's fit); other than the default only " +
        'with both widths and height.',
      schema: { type: 'string', enum: [...FITS], default: DEFAULT_FIT },
      example: 'cover',
      invalidExample: 'stretch',
    },
    format: {
      description:
        'Output format. original keeps the source format where browsers show it (GIF becomes ' +
        'PNG; TIFF becomes JPEG, or PNG with transparency).',
      schema: { type: 'string', enum: [...FORMAT_CHOICES], default: DEFAULT_FORMAT },
      example: 'webp',
      invalidExample: 'bmp',
    },
    quality: {
      description: 'Encoder quality for JPEG, WebP and AVIF (PNG is lossless).',
      schema: { type: 'integer', minimum: 1, maximum: 100, default: DEFAULT_QUALITY },
      example: 75,
      invalidExample: '101',
    },
    preset: {
      description:
        'A variant set the operator configured (PRESETS); stands alone, with no other parameter.' +
        (presetNames.length === 0 ? ' This deployment has none.' : ''),
      schema:
        presetNames.length > 0
          ? { type: 'string', enum: presetNames }
          : { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      example: presetNames[0] ?? 'thumbnails',
      invalidExample: 'no-such-preset-x',
    },
  };
}
