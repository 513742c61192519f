import { Router, type Request, type Response } from 'express';
import type { Capacity } from '../../capacity/capacity';
import { workStopped } from '../../capacity/request-scope';
import type { UploadBuffers } from '../../capacity/upload-buffers';
import { AppError, clientClosed } from '../../errors/app-error';
import { parseVariantParams, type ParamContext } from '../../domain/parse-params';
import type { VariantRequest } from '../../domain/variant-set';
import type { ImageService } from '../../service/image-service';
import { requestScope } from '../admission';
import type { UploadLimits } from '../read-multipart';
import { bodyKind, readUpload } from '../read-upload';
import { ROUTES } from '../route-label';

export interface ImageRoutesDeps {
  service: ImageService;
  params: ParamContext;
  limits: UploadLimits;
  capacity: Pick<Capacity, 'reserveUploadMemory'>;
  uploadBuffers: UploadBuffers;
}

/** How a route reads its upload and what it accepts. */
interface RouteSpec {
  /** /v1/images addresses its objects by the upload's digest; /v1/resize never needs it. */
  contentAddressed: boolean;
  /** Checks the parsed variants, e.g. that there is exactly one. */
  check?: (requests: VariantRequest[]) => void;
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

/**
 * Reads the upload and its parameters. For a raw body the parameters are all in the query, so
 * they are checked before a byte of the body is read: a typo costs the client nothing.
 */
async function receive(req: Request, res: Response, deps: ImageRoutesDeps, spec: RouteSpec) {
  const parse = (fields: Record<string, unknown>) => {
    const requests = parseVariantParams(req.query, fields, deps.params);
    spec.check?.(requests);
    return requests;
  };
  const kind = bodyKind(req);
  const early = kind === 'raw' ? parse({}) : undefined;
  const scope = requestScope(res);
  const maxBytes = deps.limits.maxUploadBytes;
  const release = await deps.capacity.reserveUploadMemory(
    deps.uploadBuffers.footprint(bytesToReserve(req, maxBytes)),
    scope,
  );
  // The client may have gone in the same tick as the grant: 'close' has fired already.
  if (res.closed) {
    release();
    throw clientClosed();
  }
  // Held while the body may be referenced: until the answer is sent and, since a job past the
  // deadline goes on after its 504, until the request's work has stopped too. The buffer goes
  // back to the pool at that moment only: from then on it may hold another client's upload.
  const lease = deps.uploadBuffers.lease();
  res.once(
    'close',
    () =>
      void workStopped(scope).then(() => {
        lease.end();
        release();
      }),
  );
  const { upload, fields } = await readUpload(req, res, {
    kind,
    limits: deps.limits,
    hashWhileReceiving: spec.contentAddressed,
    lease,
    scope,
  });
  return { upload, requests: early ?? parse(fields), scope };
}

const exactlyOne = (requests: VariantRequest[]) => {
  if (requests.length !== 1) {
    throw new AppError(
      'INVALID_PARAMETER',
      `widths: /v1/resize makes exactly one variant (got ${requests.length}); give one width, a height, or a one-variant preset`,
    );
  }
};

export function imageRoutes(deps: ImageRoutesDeps): Router {
  const { service } = deps;
  const router = Router();

  router.post(ROUTES.images, async (req, res) => {
    const { upload, requests, scope } = await receive(req, res, deps, { contentAddressed: true });
    const result = await service.storeVariants(upload, requests, scope);
    res.status(result.deduplicated ? 200 : 201).json(result);
  });

  router.post(ROUTES.resize, async (req, res) => {
    const { upload, requests, scope } = await receive(req, res, deps, {
      contentAddressed: false,
      check: exactlyOne,
    });
    const out = await service.renderOne(upload, requests[0] as VariantRequest, scope);
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
