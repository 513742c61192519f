import sharp from 'sharp';
import { photo, withComment } from '../../test/support/images';

export interface Corpus {
  photo12mp: Buffer;
  png1080pAlpha: Buffer;
  jpeg640: Buffer;
  jpeg20mb: Buffer;
}

/**
 * The photo every throughput scenario resizes (12 MP, JPEG q90), alone: ~0.9 s to make, against
 * ~4.5 s for the whole corpus, for the scripts that need nothing else.
 */
export const makePhoto12mp = async () =>
  (await photo(4000, 3000, { seed: 1, grain: 8 })).jpeg({ quality: 90 }).toBuffer();

export async function makeCorpus(): Promise<Corpus> {
  const alphaRaw = await (await photo(1920, 1080, { seed: 2 })).ensureAlpha(0.6).raw().toBuffer();
  return {
    photo12mp: await makePhoto12mp(),
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

/** A request body as the load generator writes it: these parts, one after another. */
export type BodyParts = readonly Buffer[];

/**
 * The same JPEG with a distinct comment: another upload (other hash), same pixels. The load
 * generator sends it as two parts, the distinct start (the JPEG's first marker and the comment)
 * and the photo's rest, shared by every upload: here the kernel copies a socket write out of
 * memory the sender has not touched lately at ~0.5 GB/s, and bodies made whole cost the generator
 * 1.8-2.1 ms per upload on the service's two cores against 1.3-1.5 for the shared rest
 * (bench/send-cost.ts). The bytes sent are the same.
 */
export const uploadOf = (jpeg: Buffer, n: number): BodyParts => [
  withComment(jpeg.subarray(0, 2), `bench ${n}`),
  jpeg.subarray(2),
];

/** The same upload as one buffer (the ceiling's input, a file on disk). */
export const variantOf = (jpeg: Buffer, n: number): Buffer => Buffer.concat(uploadOf(jpeg, n));
