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

  describe('text after a byte order mark', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
    const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();

    it.each([
      ['UTF-8', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(svg)])],
      [
        'UTF-8, with an XML declaration',
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from(`<?xml version="1.0"?>${svg}`),
        ]),
      ],
      ['UTF-16 LE', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(svg, 'utf16le')])],
      ['UTF-16 BE', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(svg)])],
    ])('recognises an SVG in %s', (_encoding, bytes) => {
      expect(sniffFormat(bytes)).toEqual({ accepted: false, detected: 'svg' });
    });

    it('recognises other text the same way', () => {
      const html = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<!DOCTYPE html>')]);
      expect(sniffFormat(html)).toEqual({ accepted: false, detected: 'html' });
    });
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
