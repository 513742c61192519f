import { Router, type Request, type Response } from 'express';
import { AppError } from '../../errors/app-error';
import { parseVariantParams, type ParamContext } from '../../domain/parse-params';
import type { VariantRequest } from '../../domain/variant-set';
import type { ImageService } from '../../service/image-service';
import type { UploadMemory } from '../../service/upload-memory';
import { bodyKind, readUpload, type UploadLimits } from '../read-upload';
import { requestScope } from '../request-lifecycle';
import { ROUTES } from '../route-label';

export interface ImageRoutesDeps {
  service: ImageService;
  params: ParamContext;
  limits: UploadLimits;
  uploadMemory: UploadMemory;
}

/**
 * What reading this body may hold in memory: its Content-Length (a multipart form's is the file
 * plus a little framing), or the upload limit when the length is unknown (chunked).
 */
function bytesToReserve(req: Request, maxUploadBytes: number): number {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared >= 0
    ? Math.min(declared, maxUploadBytes)
    : maxUploadBytes;
}

function parse(
  req: Request,
  fields: Record<string, unknown>,
  params: ParamContext,
  single: boolean,
) {
  const requests = parseVariantParams(req.query, fields, params);
  if (single && requests.length !== 1) {
    throw new AppError(
      'INVALID_PARAMETER',
      `widths: /v1/resize makes exactly one variant (got ${requests.length}); give one width, a height, or a one-variant preset`,
    );
  }
  return requests;
}

/**
 * Reads the upload and its parameters. For a raw body the parameters are all in the query, so
 * they are checked before a byte of the body is read: a typo costs the client nothing.
 */
async function receive(req: Request, res: Response, deps: ImageRoutesDeps, single: boolean) {
  const kind = bodyKind(req);
  const early = kind === 'raw' ? parse(req, {}, deps.params, single) : undefined;
  const scope = requestScope(res);
  const release = await deps.uploadMemory.reserve(
    bytesToReserve(req, deps.limits.maxUploadBytes),
    scope,
  );
  // Held until the answer is sent: the body is referenced until then.
  res.once('close', release);
  // /v1/images addresses its objects by the upload's sha256; /v1/resize never needs it.
  const { upload, fields } = await readUpload(req, res, kind, deps.limits, !single, scope);
  return { upload, requests: early ?? parse(req, fields, deps.params, single) };
}

export function imageRoutes(deps: ImageRoutesDeps): Router {
  const { service } = deps;
  const router = Router();

  router.post(ROUTES.images, async (req, res) => {
    const { upload, requests } = await receive(req, res, deps, false);
    const result = await service.storeVariants(upload, requests, requestScope(res));
    res.status(result.deduplicated ? 200 : 201).json(result);
  });

  router.post(ROUTES.resize, async (req, res) => {
    const { upload, requests } = await receive(req, res, deps, true);
    const out = await service.renderOne(upload, requests[0] as VariantRequest, requestScope(res));
    res
      .status(200)
      .set({
        'Content-Type': out.contentType,
        'Content-Length': String(out.data.length),
        ETag: out.etag,
        'X-Image-Width': String(out.width),
        'X-Image-Height': String(out.height),
      })
      .end(out.data);
  });

  return router;
}
