import { sniffFormat } from '../../src/image/sniff-format';
import * as images from '../support/images';

describe('sniffFormat (magic bytes, never the client label)', () => {
  it.each([
    ['jpeg', () => images.jpeg(16, 16)],
    ['png', () => images.png(16, 16)],
    ['webp', () => images.webp(16, 16)],
    ['avif', () => images.avif(16, 16)],
    ['tiff', () => images.tiff(16, 16)],
    ['gif', () => images.gif(16, 16)],
  ] as const)('accepts %s', async (format, make) => {
    expect(sniffFormat(await make())).toEqual({ accepted: true, format });
  });

  it.each([
    [
      'svg',
      '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ],
    ['svg', '  <svg width="10" height="10"></svg>'],
    ['html', '<!DOCTYPE html><html><body>hi</body></html>'],
    ['pdf', '%PDF-1.7\n%...'],
    ['json', '{"image": "nope"}'],
    ['unknown', 'just some text'],
  ])('refuses %s', (detected, text) => {
    expect(sniffFormat(Buffer.from(text))).toEqual({ accepted: false, detected });
  });

  it('refuses HEIC (HEVC), which the decoder cannot read', () => {
    const heic = Buffer.concat([
      Buffer.from([0, 0, 0, 24]),
      Buffer.from('ftypheic\0\0\0\0mif1heic'),
    ]);
    expect(sniffFormat(heic)).toEqual({ accepted: false, detected: 'heif' });
  });

  it('refuses random bytes and the empty buffer', () => {
    expect(sniffFormat(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]))).toMatchObject({
      accepted: false,
    });
    expect(sniffFormat(Buffer.alloc(0))).toMatchObject({ accepted: false });
  });
});
