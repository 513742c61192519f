import { checkOutputSizes, outputSize } from '../../src/domain/output-size';
import type { ResolvedVariant } from '../../src/domain/variant-key';
import { AppError } from '../../src/errors/app-error';

const v = (over: Partial<ResolvedVariant>): ResolvedVariant => ({
  fit: 'inside',
  format: 'png',
  quality: 80,
  ...over,
});
const strip = { width: 1, height: 10_000_000 };

describe('outputSize', () => {
  it.each([
    [
      'a width alone keeps the aspect ratio',
      v({ width: 320 }),
      { width: 4000, height: 3000 },
      [320, 240],
    ],
    ['never enlarges', v({ width: 8000 }), { width: 4000, height: 3000 }, [4000, 3000]],
    ['a height alone', v({ height: 300 }), { width: 4000, height: 3000 }, [400, 300]],
    ['inside a box: the tighter side', v({ width: 100, height: 100 }), strip, [1, 100]],
    ['a strip at a width alone stays a strip', v({ width: 200 }), strip, [1, 10_000_000]],
    [
      'outside a box: the looser side',
      v({ width: 100, height: 100, fit: 'outside' }),
      { width: 400, height: 200 },
      [200, 100],
    ],
    ['cover: the box', v({ width: 100, height: 50, fit: 'cover' }), strip, [100, 50]],
  ])('%s', (_what, variant, source, [width, height]) => {
    expect(outputSize(variant, source)).toEqual({ width, height });
  });
});

describe('checkOutputSizes', () => {
  it('refuses a variant with a side over the maximum, naming the sizes', () => {
    let err: unknown;
    try {
      checkOutputSizes([v({ width: 320 }), v({ width: 200 })], strip, 8192);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect([(err as AppError).code, (err as AppError).status]).toEqual(['OUTPUT_TOO_LARGE', 422]);
    expect((err as AppError).message).toContain('1x10000000');
  });

  it('lets everything within the maximum through', () => {
    expect(() => checkOutputSizes([v({ width: 100, height: 100 })], strip, 8192)).not.toThrow();
  });
});
