import type { SourceFormat } from '../domain/output-format';
import type { ResolvedVariant } from '../domain/variant-key';

/** What the header of an accepted upload says; dimensions are after EXIF orientation. */
export interface SourceInfo {
  format: SourceFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
}

export interface RenderedVariant {
  variant: ResolvedVariant;
  data: Buffer;
  width: number;
  height: number;
}

export interface RenderOptions {
  /** Stops between variants once aborted (the client went away). */
  signal?: AbortSignal;
  /** Epoch ms; past it the work is killed and 504 PROCESSING_TIMEOUT is thrown. */
  deadline?: number;
  /** The probed size (after orientation): lets several variants share one decode. */
  source?: Pick<SourceInfo, 'width' | 'height'>;
}

/**
 * The image-processing port. Implementations throw AppError for client-caused failures
 * (415 not an image we take, 422 unreadable or too large) so callers never see decoder errors.
 */
export interface ImagePipeline {
  /** The accepted format the magic bytes name, or undefined: no decoder runs, nothing is checked. */
  sniff(input: Buffer): SourceFormat | undefined;
  /** Checks magic bytes and reads the header only: cheap, no pixel is decoded. */
  probe(input: Buffer): Promise<SourceInfo>;
  /** Decodes the source (once when that pays) and produces every variant, in the order given. */
  render(
    input: Buffer,
    variants: readonly ResolvedVariant[],
    options?: RenderOptions,
  ): Promise<RenderedVariant[]>;
}
