import { AppError } from '../errors/app-error';
import {
  DEFAULT_FIT,
  DEFAULT_FORMAT,
  DEFAULT_QUALITY,
  FITS,
  FORMAT_CHOICES,
  checkVariantSet,
  expandVariantSet,
  type VariantRequest,
  type VariantSet,
} from './variant-set';

/** Every request parameter; each is documented in parameter-docs.ts (the compiler checks). */
export const PARAMETER_NAMES = ['widths', 'height', 'fit', 'format', 'quality', 'preset'] as const;
export type ParameterName = (typeof PARAMETER_NAMES)[number];

export interface ParamContext {
  defaultWidths: number[];
  presets: Readonly<Record<string, VariantSet>>;
  maxDimension: number;
  /** Refuse anything but presets (arbitrary sizes are a cache-busting and CPU abuse vector). */
  onlyPresets?: boolean;
}

/** Query strings and multipart text fields both arrive as loosely typed records. */
export type RawParams = Readonly<Record<string, unknown>>;

const invalid = (field: string, message: string) =>
  new AppError('INVALID_PARAMETER', `${field}: ${message}`);

function mergeSources(query: RawParams, fields: RawParams): Map<string, string> {
  const merged = new Map<string, string>();
  for (const [origin, source] of [
    ['query', query],
    ['form', fields],
  ] as const) {
    for (const [name, value] of Object.entries(source)) {
      if (!(PARAMETER_NAMES as readonly string[]).includes(name)) {
        throw new AppError(
          'UNKNOWN_PARAMETER',
          `unknown parameter "${name.slice(0, 64)}"; known: ${PARAMETER_NAMES.join(', ')}`,
        );
      }
      // Repeats are ambiguous (first wins? last wins?), so they are refused rather than guessed.
      if (typeof value !== 'string') throw invalid(name, 'given more than once');
      if (merged.has(name)) throw invalid(name, `given both in the query and the ${origin}`);
      merged.set(name, value);
    }
  }
  return merged;
}

const WHOLE_NUMBER = /^-?\d{1,12}$/;

function parseInteger(field: string, text: string): number {
  if (!WHOLE_NUMBER.test(text))
    throw invalid(field, `${JSON.stringify(text.slice(0, 32))} is not a whole number`);
  return Number(text);
}

/** One of `choices`, typed as such only once it is known to be one. */
function parseChoice<T extends string>(field: string, text: string, choices: readonly T[]): T {
  const choice = choices.find((c) => c === text);
  if (choice === undefined) {
    throw invalid(
      field,
      `${JSON.stringify(text.slice(0, 32))} is not one of ${choices.join(', ')}`,
    );
  }
  return choice;
}

function parseWidths(text: string): number[] {
  return text.split(',').map((part) => {
    if (part === '') throw invalid('widths', 'empty entry in the list');
    return parseInteger('widths', part);
  });
}

function presetFor(params: Map<string, string>, ctx: ParamContext): VariantSet {
  const name = params.get('preset') ?? '';
  const others = [...params.keys()].filter((key) => key !== 'preset');
  // A preset is the operator's complete recipe; mixing in client sizes would defeat the point
  // of presets (bounded, cacheable variant sets), so it stands alone.
  if (others.length > 0) throw invalid('preset', `cannot be combined with ${others.join(', ')}`);
  const preset = Object.hasOwn(ctx.presets, name) ? ctx.presets[name] : undefined;
  if (!preset) throw invalid('preset', `no preset named ${JSON.stringify(name.slice(0, 64))}`);
  return preset;
}

/**
 * Turns a request's parameters into the variants to make, or throws a 400 AppError naming the
 * first bad parameter. Strict on purpose: a typo must never silently produce another image.
 */
export function parseVariantParams(
  query: RawParams,
  fields: RawParams,
  ctx: ParamContext,
): VariantRequest[] {
  const params = mergeSources(query, fields);
  if (params.has('preset')) return expandVariantSet(presetFor(params, ctx));
  if (ctx.onlyPresets) {
    throw new AppError(
      'PRESET_REQUIRED',
      `this service only makes its presets: use ?preset=<name> (${Object.keys(ctx.presets).join(', ')})`,
    );
  }

  const widthsText = params.get('widths');
  const heightText = params.get('height');
  const qualityText = params.get('quality');
  const fitText = params.get('fit');
  const formatText = params.get('format');
  const height = heightText === undefined ? undefined : parseInteger('height', heightText);
  const widths =
    widthsText !== undefined
      ? parseWidths(widthsText)
      : height === undefined
        ? [...ctx.defaultWidths]
        : [];
  const set: VariantSet = {
    widths,
    height,
    fit: fitText === undefined ? DEFAULT_FIT : parseChoice('fit', fitText, FITS),
    format:
      formatText === undefined ? DEFAULT_FORMAT : parseChoice('format', formatText, FORMAT_CHOICES),
    quality: qualityText === undefined ? DEFAULT_QUALITY : parseInteger('quality', qualityText),
  };
  const problem = checkVariantSet(set, ctx.maxDimension);
  if (problem) throw invalid(problem.field, problem.message);
  return expandVariantSet(set);
}
