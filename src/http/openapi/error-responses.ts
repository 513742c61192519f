import { errorCodes, type ErrorCode } from '../../errors/app-error';
import { REQUEST_ID, RETRY_AFTER, header, json, ref, type ContractOptions } from './document-parts';

/** The codes a client can get from a route, by status, with this deployment's options. */
export function codesByStatus(scopes: readonly string[], options: ContractOptions) {
  const conditional: Partial<Record<ErrorCode, boolean>> = {
    UNAUTHORIZED: options.authRequired,
    PRESET_REQUIRED: options.params.onlyPresets === true,
  };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [code, spec] of Object.entries(errorCodes) as [
    ErrorCode,
    (typeof errorCodes)[ErrorCode],
  ][]) {
    if (!scopes.includes(spec.scope) || conditional[code] === false) continue;
    byStatus.set(spec.status, [...(byStatus.get(spec.status) ?? []), code]);
  }
  return byStatus;
}

type Scope = 'uploads' | 'any';
// The upload routes can get every error any request can, and their own.
const SCOPES: Record<Scope, readonly string[]> = { uploads: ['uploads', 'any'], any: ['any'] };
const responseName = (scope: Scope, status: number) =>
  `${scope === 'uploads' ? 'UploadError' : 'Error'}${status}`;

/** Error responses, one per scope and status: each body may only carry that status's codes. */
export function errorResponseComponents(options: ContractOptions) {
  const responses: Record<string, unknown> = {};
  for (const scope of Object.keys(SCOPES) as Scope[]) {
    for (const [status, codes] of codesByStatus(SCOPES[scope], options)) {
      const retry = codes.every((code) => 'retryAfter' in errorCodes[code]);
      responses[responseName(scope, status)] = {
        description: codes.map((code) => `${code}: ${errorCodes[code].when}`).join('; '),
        headers: {
          'X-Request-Id': REQUEST_ID,
          ...(retry && { 'Retry-After': RETRY_AFTER }),
          ...(status === 401 && {
            'WWW-Authenticate': header('Bearer realm="image-resizer" and the error.', {
              type: 'string',
            }),
          }),
        },
        content: json({
          allOf: [
            ref('Error'),
            { properties: { error: { properties: { code: { enum: codes } } } } },
          ],
        }),
      };
    }
  }
  return responses;
}

/** An operation's error responses, as references to the components above. */
export function errorResponses(scope: Scope, options: ContractOptions) {
  return {
    ...Object.fromEntries(
      [...codesByStatus(SCOPES[scope], options).keys()].map((status) => [
        String(status),
        { $ref: `#/components/responses/${responseName(scope, status)}` },
      ]),
    ),
    '431': { $ref: '#/components/responses/HeadersTooLarge' },
  };
}

/**
 * Node's HTTP parser answers this itself, before the app sees the request, with no body. Behind
 * nginx a client never gets it: nginx's header limit is lower and answers 400 MALFORMED_REQUEST.
 */
export const HEADERS_TOO_LARGE = {
  description: 'Request headers larger than the server accepts (bare answer, no body).',
};

export const errorTable = () =>
  '| code | status | when |\n|---|---|---|\n' +
  Object.entries(errorCodes)
    .filter(([, spec]) => spec.scope !== 'none')
    .map(
      ([code, spec]) =>
        `| ${code} | ${spec.status} | ${spec.when}${'edge' in spec ? ' (nginx)' : ''} |`,
    )
    .join('\n');
