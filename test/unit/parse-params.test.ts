import { AppError } from '../../src/errors/app-error';
import { parseVariantParams, type ParamContext } from '../../src/domain/parse-params';

const ctx: ParamContext = {
  defaultWidths: [320, 640, 1280],
  presets: {
    thumb: { widths: [150], height: 150, fit: 'cover', format: 'webp', quality: 70 },
  },
  maxDimension: 4096,
};

const parse = (query: Record<string, unknown>, fields: Record<string, unknown> = {}) =>
  parseVariantParams(query, fields, ctx);

function errorOf(run: () => unknown): AppError {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('parseVariantParams', () => {
  it('uses the default widths, inside fit, original format and quality 80 when nothing is given', () => {
    expect(parse({})).toEqual(
      [320, 640, 1280].map((width) => ({
        width,
        height: undefined,
        fit: 'inside',
        format: 'original',
        quality: 80,
      })),
    );
  });

  it('reads widths, height, fit, format and quality', () => {
    expect(
      parse({ widths: '100,200', height: '50', fit: 'cover', format: 'webp', quality: '55' }),
    ).toEqual([
      { width: 100, height: 50, fit: 'cover', format: 'webp', quality: 55 },
      { width: 200, height: 50, fit: 'cover', format: 'webp', quality: 55 },
    ]);
  });

  it('makes one variant of the given height when only height is given', () => {
    expect(parse({ height: '300' })).toEqual([
      { width: undefined, height: 300, fit: 'inside', format: 'original', quality: 80 },
    ]);
  });

  it('takes parameters from multipart fields the same way as from the query', () => {
    expect(parse({}, { widths: '64', format: 'png' })).toEqual(
      parse({ widths: '64', format: 'png' }),
    );
  });

  it('expands a preset', () => {
    expect(parse({ preset: 'thumb' })).toEqual([
      { width: 150, height: 150, fit: 'cover', format: 'webp', quality: 70 },
    ]);
  });

  it.each([
    [{ widths: '0' }, 'widths: 0 is below 1'],
    [{ widths: '-5' }, 'widths: -5 is below 1'],
    [{ widths: 'abc' }, 'widths: "abc" is not a whole number'],
    [{ widths: '12.5' }, 'widths: "12.5" is not a whole number'],
    [{ widths: '100,,200' }, 'widths: empty entry in the list'],
    [{ widths: '5000' }, 'widths: 5000 is above the maximum 4096'],
    [{ widths: '1,2,3,4,5,6,7,8,9' }, 'widths: 9 widths given, at most 8'],
    [{ widths: '100,100' }, 'widths: 100 is given twice'],
    [{ height: '0' }, 'height: 0 is below 1'],
    [{ fit: 'stretch' }, 'fit: "stretch" is not one of cover, contain, fill, inside, outside'],
    [{ widths: '100', fit: 'cover' }, 'fit: cover needs both widths and a height'],
    [{ format: 'bmp' }, 'format: "bmp" is not one of jpeg, png, webp, avif, original'],
    [{ quality: '0' }, 'quality: 0 is outside 1-100'],
    [{ quality: '101' }, 'quality: 101 is outside 1-100'],
    [{ quality: 'high' }, 'quality: "high" is not a whole number'],
    [{ preset: 'nope' }, 'preset: no preset named "nope"'],
    [{ preset: 'thumb', format: 'png' }, 'preset: cannot be combined with format'],
    [{ widths: ['100', '200'] }, 'widths: given more than once'],
  ])('rejects %j with 400 INVALID_PARAMETER', (query, message) => {
    const err = errorOf(() => parse(query));
    expect(err).toMatchObject({ status: 400, code: 'INVALID_PARAMETER', message });
  });

  it('rejects a parameter given both in the query and in the form', () => {
    const err = errorOf(() => parse({ widths: '100' }, { widths: '200' }));
    expect(err).toMatchObject({
      code: 'INVALID_PARAMETER',
      message: 'widths: given both in the query and the form',
    });
  });

  it('rejects unknown parameters, so a typo never silently changes the image', () => {
    const err = errorOf(() => parse({ width: '100' }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('UNKNOWN_PARAMETER');
    expect(err.message).toMatch(/unknown parameter "width"/);
  });

  it('does not treat inherited object properties as presets', () => {
    expect(errorOf(() => parse({ preset: 'constructor' })).code).toBe('INVALID_PARAMETER');
  });
});
