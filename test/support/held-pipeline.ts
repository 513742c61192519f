import type { ImagePipeline } from '../../src/image/image-pipeline';
import { createSharpPipeline } from '../../src/image/sharp-pipeline';

/**
 * The real sharp pipeline, except that every render waits until the test calls letGo(): work
 * of a length the test decides, like an encoder that cannot be interrupted. `rendering` sees
 * each input as the render, once let go, reads it.
 */
export function heldPipeline(rendering?: (input: Buffer) => void) {
  const real = createSharpPipeline({
    maxInputPixels: 50_000_000,
    maxInputFrames: 1000,
    mozjpeg: false,
    avifEffort: 3,
    webpEffort: 2,
  });
  let letGo!: () => void;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  let started = 0;
  const pipeline: ImagePipeline = {
    sniff: (input) => real.sniff(input),
    probe: (input) => real.probe(input),
    async render(input, variants, options) {
      started++;
      await gate;
      rendering?.(input);
      return real.render(input, variants, options);
    },
  };
  return { pipeline, letGo: () => letGo(), started: () => started };
}
