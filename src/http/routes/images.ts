import { Router, type Request, type Response } from 'express';
import { AppError } from '../../errors/app-error';
import { parseVariantParams, type ParamContext } from '../../domain/parse-params';
import type { VariantRequest } from '../../domain/variant-set';
import type { ImageService } from '../../service/image-service';
import { bodyKind, readUpload, type UploadLimits } from '../read-upload';
import { requestSignal } from '../request-lifecycle';

export interface ImageRoutesDeps {
  service: ImageService;
  params: ParamContext;
  limits: UploadLimits;
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
  const { upload, fields } = await readUpload(req, res, kind, deps.limits);
  return { upload, requests: early ?? parse(req, fields, deps.params, single) };
}

export function imageRoutes(deps: ImageRoutesDeps): Router {
  const { service } = deps;
  const router = Router();

  router.post('/v1/images', async (req, res) => {
    const { upload, requests } = await receive(req, res, deps, false);
    const result = await service.storeVariants(upload, requests, requestSignal(res));
    res.status(result.deduplicated ? 200 : 201).json(result);
  });

  router.post('/v1/resize', async (req, res) => {
    const { upload, requests } = await receive(req, res, deps, true);
    const out = await service.renderOne(upload, requests[0] as VariantRequest, requestSignal(res));
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
