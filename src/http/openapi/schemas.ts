import type { JsonSchema } from '../../domain/parameter-docs';
import { DIGEST_PATTERN } from '../../domain/content-digest';
import { SOURCE_FORMATS } from '../../domain/output-format';
import { OUTPUT_FORMATS } from '../../domain/variant-set';
import { errorCodes } from '../../errors/app-error';
import { FILE_FIELD } from '../read-multipart';
import { ref, type ContractOptions } from './document-parts';
import { errorTable } from './error-responses';

/** The document's named schemas: the answers' bodies and the error table. */
export function schemas(options: ContractOptions): Record<string, JsonSchema> {
  const dims = { width: { type: 'integer', minimum: 1 }, height: { type: 'integer', minimum: 1 } };
  const bytes = { type: 'integer', minimum: 0 };
  const strict = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
    type: 'object',
    additionalProperties: false,
    required,
    properties,
  });
  const visible = Object.entries(errorCodes).filter(([, spec]) => spec.scope !== 'none');
  return {
    ErrorCode: {
      type: 'string',
      enum: visible.map(([code]) => code),
      description: `Stable codes: never renamed. Clients branch on the code, not on the message.\n\n${errorTable()}`,
    },
    Error: strict({
      error: strict({
        code: ref('ErrorCode'),
        message: { type: 'string' },
        requestId: { type: 'string' },
      }),
    }),
    StoredVariant: strict(
      {
        key: { type: 'string', description: 'The S3 key: content-addressed, never overwritten.' },
        url: { type: 'string', description: 'Public URL (only when S3_PUBLIC_BASE_URL is set).' },
        ...dims,
        format: { type: 'string', enum: [...OUTPUT_FORMATS] },
        bytes,
      },
      ['key', 'width', 'height', 'format', 'bytes'],
    ),
    StoreResult: strict({
      id: {
        type: 'string',
        pattern: DIGEST_PATTERN.source,
        description: "The upload's BLAKE3 digest, as `b3sum` prints it: its content address.",
      },
      source: strict({ format: { type: 'string', enum: [...SOURCE_FORMATS] }, ...dims, bytes }),
      variants: { type: 'array', items: ref('StoredVariant'), minItems: 1 },
      deduplicated: {
        type: 'boolean',
        description: 'Every variant already existed: nothing was made.',
      },
    }),
    Health: strict({
      status: { const: 'ok' },
      version: { type: 'string' },
      revision: { type: 'string' },
    }),
    Readiness: strict({ status: { type: 'string', enum: ['ready', 'not_ready'] } }),
    UploadForm: {
      type: 'object',
      required: [FILE_FIELD],
      properties: {
        [FILE_FIELD]: {
          type: 'string',
          format: 'binary',
          description: `The image, at most ${options.maxUploadBytes} bytes.`,
        },
      },
    },
  };
}
