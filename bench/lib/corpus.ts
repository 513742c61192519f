import sharp from 'sharp';
import { photo, withComment } from '../../test/support/images';

export interface Corpus {
  photo12mp: Buffer;
  png1080pAlpha: Buffer;
  jpeg640: Buffer;
  jpeg20mb: Buffer;
}

export async function makeCorpus(): Promise<Corpus> {
  const alphaRaw = await (await photo(1920, 1080, { seed: 2 })).ensureAlpha(0.6).raw().toBuffer();
  return {
    photo12mp: await (
      await photo(4000, 3000, { seed: 1, grain: 8 })
    )
      .jpeg({ quality: 90 })
      .toBuffer(),
    png1080pAlpha: await sharp(alphaRaw, { raw: { width: 1920, height: 1080, channels: 4 } })
      .png()
      .toBuffer(),
    jpeg640: await (await photo(640, 480, { seed: 3, grain: 8 })).jpeg({ quality: 85 }).toBuffer(),
    // Grain at q94, 4:4:4 makes a ~20 MB file: the memory scenario's upload.
    jpeg20mb: await (
      await photo(6000, 4500, { seed: 4, grain: 36 })
    )
      .jpeg({ quality: 94, chromaSubsampling: '4:4:4' })
      .toBuffer(),
  };
}

/** The same JPEG with a distinct comment: another upload (other hash), same pixels. */
export const variantOf = (jpeg: Buffer, n: number): Buffer => withComment(jpeg, `bench ${n}`);
