import type { ResolvedVariant } from '../../src/domain/variant-key';
import { MAX_SHARED_PIXELS, sharedSize } from '../../src/image/shared-decode';

const v = (over: Partial<ResolvedVariant>): ResolvedVariant => ({
  fit: 'inside',
  format: 'jpeg',
  quality: 80,
  ...over,
});
const photo = { width: 4000, height: 3000 };

describe('sharedSize', () => {
  it('is the largest variant when widths differ', () => {
    const widths = [320, 640, 1280].map((width) => v({ width }));
    expect(sharedSize(widths, photo)).toEqual({ width: 1280, height: 960 });
  });

  it.each([
    ['cover: the looser side', 'cover', { width: 1334, height: 1000 }],
    ['fill: the looser side', 'fill', { width: 1334, height: 1000 }],
    ['outside: the looser side', 'outside', { width: 1334, height: 1000 }],
    ['inside: the tighter side', 'inside', { width: 1000, height: 750 }],
    ['contain: the tighter side', 'contain', { width: 1000, height: 750 }],
  ] as const)('with both sides set, %s', (_what, fit, expected) => {
    const box = v({ width: 1000, height: 1000, fit });
    const size = sharedSize([box, v({ width: 100 })], photo);
    // Rounded up, so every variant is a reduction of the copy.
    expect(size).toEqual({ width: expected.width, height: expected.height });
  });

  it('uses a height-only variant', () => {
    expect(sharedSize([v({ height: 600 }), v({ width: 100 })], photo)).toEqual({
      width: 800,
      height: 600,
    });
  });

  it.each([
    ['a single variant', [v({ width: 640 })]],
    ['a variant at full size', [v({ width: 320 }), v({ width: 4000 })]],
    ['a variant larger than the source', [v({ width: 320 }), v({ width: 8000 })]],
    ['a copy over MAX_SHARED_PIXELS', [v({ width: 320 }), v({ width: 2400 })]],
  ])('is undefined (decode per variant) for %s', (_what, variants) => {
    expect(sharedSize(variants, photo)).toBeUndefined();
  });

  it('allows a copy of exactly MAX_SHARED_PIXELS', () => {
    const square = { width: 4000, height: 4000 };
    const side = Math.sqrt(MAX_SHARED_PIXELS);
    expect(sharedSize([v({ width: side }), v({ width: 10 })], square)).toEqual({
      width: side,
      height: side,
    });
  });
});
