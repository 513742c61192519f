import { resolveOutputFormat } from '../../src/domain/output-format';
import { variantKey, variantName } from '../../src/domain/variant-key';

const digest = 'a'.repeat(64);

describe('variant keys', () => {
  it('names a variant from the parameters that change its bytes', () => {
    expect(variantName({ width: 640, fit: 'inside', format: 'webp', quality: 80 })).toBe(
      'w640-q80.webp',
    );
    expect(
      variantName({ width: 640, height: 480, fit: 'cover', format: 'jpeg', quality: 75 }),
    ).toBe('w640-h480-cover-q75.jpg');
    expect(variantName({ height: 300, fit: 'inside', format: 'avif', quality: 50 })).toBe(
      'h300-q50.avif',
    );
  });

  it('leaves quality out of PNG names (lossless: same bytes whatever the quality)', () => {
    expect(variantName({ width: 64, fit: 'inside', format: 'png', quality: 10 })).toBe(
      variantName({ width: 64, fit: 'inside', format: 'png', quality: 90 }),
    );
  });

  it('builds prefix + source hash + name, the same every time', () => {
    const v = { width: 320, fit: 'inside' as const, format: 'webp' as const, quality: 80 };
    expect(variantKey('images/', digest, v)).toBe(`images/${digest}/w320-q80.webp`);
    expect(variantKey('images/', digest, v)).toBe(variantKey('images/', digest, { ...v }));
  });

  it('gives different keys to different parameters', () => {
    const base = { width: 320, fit: 'inside' as const, format: 'webp' as const, quality: 80 };
    const keys = new Set([
      variantKey('', digest, base),
      variantKey('', digest, { ...base, quality: 81 }),
      variantKey('', digest, { ...base, format: 'avif' }),
      variantKey('', digest, { ...base, height: 100, fit: 'cover' }),
      variantKey('', digest, { ...base, height: 100, fit: 'contain' }),
      variantKey('', 'b'.repeat(64), base),
    ]);
    expect(keys.size).toBe(6);
  });

  it('refuses anything but a 256-bit hex digest as the source id', () => {
    expect(() =>
      variantKey('', '../../etc/passwd', { width: 1, fit: 'inside', format: 'png', quality: 80 }),
    ).toThrow();
  });

  it.each([
    ['jpeg', false, 'jpeg'],
    ['png', true, 'png'],
    ['webp', true, 'webp'],
    ['avif', false, 'avif'],
    ['gif', true, 'png'],
    ['tiff', false, 'jpeg'],
    ['tiff', true, 'png'],
  ] as const)(
    'format=original for a %s source (alpha: %s) gives %s',
    (format, hasAlpha, expected) => {
      expect(resolveOutputFormat('original', { format, hasAlpha })).toBe(expected);
    },
  );

  it('an explicit format wins over the source format', () => {
    expect(resolveOutputFormat('avif', { format: 'gif', hasAlpha: true })).toBe('avif');
  });
});
