import type { JsonSchema } from '../../domain/parameter-docs';
import type { ParamContext } from '../../domain/parse-params';

/** What the document depends on: this deployment's settings. */
export interface ContractOptions {
  params: ParamContext;
  maxUploadBytes: number;
  /** API_KEYS set: /v1 needs a bearer token (and can answer 401). */
  authRequired: boolean;
  /** API_DOCS: GET /docs serves this document as a web page. */
  referencePage: boolean;
  version: string;
}

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<
    string,
    Record<string, { parameters?: { name: string }[]; [key: string]: unknown }>
  >;
  components: { schemas: Record<string, JsonSchema>; responses?: Record<string, unknown> };
};

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const header = (description: string, schema: JsonSchema, required = true) => ({
  description,
  required,
  schema,
});
export const REQUEST_ID = header(
  'The request id (yours if you sent a safe X-Request-Id); in every log line.',
  {
    type: 'string',
  },
);
export const RETRY_AFTER = header('Seconds to wait before retrying the same request.', {
  type: 'integer',
  minimum: 0,
});
export const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
