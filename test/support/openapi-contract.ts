import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { OpenApiDocument } from '../../src/http/openapi/openapi-document';

/** A response as any HTTP client saw it. */
export interface SeenResponse {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON for JSON responses; otherwise the raw bytes or text, if any. */
  body: unknown;
  bodyBytes: number;
}

type Obj = Record<string, unknown>;
interface ResponseSpec {
  headers?: Record<string, { required?: boolean; schema?: Obj } | Obj>;
  content?: Record<string, { schema?: Obj }>;
}

/** Not part of the public contract: nginx hides it, Prometheus reads it. */
const OUTSIDE_THE_CONTRACT = new Set(['/metrics']);

/**
 * Checks responses against the service's OpenAPI document: the status must be documented for
 * the operation, its required headers present and valid, its body of a documented media type
 * and, for JSON, valid against the schema. A request to no route may only get what the document
 * says any request can get (components.responses.Error<status>; UploadError<status> under /v1/).
 */
export function contractChecker(doc: OpenApiDocument) {
  // Formats are annotations here (binary); the schemas' keywords are what is checked.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(doc, 'openapi');
  const compiled = new Map<string, ValidateFunction>();
  const validator = (pointer: string) => {
    let fn = compiled.get(pointer);
    if (!fn) {
      fn = ajv.compile({ $ref: `openapi#${pointer}` });
      compiled.set(pointer, fn);
    }
    return fn;
  };
  const pointerOf = (parts: string[]) =>
    '/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
  const resolve = (spec: Obj): [Obj, string[] | undefined] => {
    const target = typeof spec.$ref === 'string' ? spec.$ref : undefined;
    if (!target) return [spec, undefined];
    const parts = target.replace(/^#\//, '').split('/');
    let node: unknown = doc;
    for (const part of parts) node = (node as Obj)[part];
    return [node as Obj, parts];
  };

  return function check(seen: SeenResponse): string[] {
    // As Express matches: case-insensitive, one trailing slash ignored.
    const asked = (seen.path.split('?', 1)[0] ?? '').toLowerCase();
    const path = asked.length > 1 ? asked.replace(/\/$/, '') : asked;
    if (OUTSIDE_THE_CONTRACT.has(path)) return [];
    const method = seen.method.toLowerCase() === 'head' ? 'get' : seen.method.toLowerCase();
    const where = `${seen.method} ${path} -> ${seen.status}`;
    const item = doc.paths[path];
    const operation = item?.[method] as { responses?: Obj } | undefined;
    let spec: Obj | undefined;
    let specPath: string[] | undefined;
    if (operation) {
      const raw = operation.responses?.[String(seen.status)] as Obj | undefined;
      if (raw) [spec, specPath] = resolve(raw);
      specPath ??= ['paths', path, method, 'responses', String(seen.status)];
    } else {
      // An unknown path under /v1/ passes the API's key check and admission before it is found
      // missing (the document's description says so), so it may also get their errors.
      const name =
        seen.status === 431
          ? 'HeadersTooLarge'
          : method === 'options' && seen.status === 204
            ? 'Preflight'
            : `${path.startsWith('/v1/') ? 'UploadError' : 'Error'}${seen.status}`;
      spec = doc.components.responses?.[name] as Obj | undefined;
      specPath = ['components', 'responses', name];
    }
    if (!spec) return [`${where}: the document does not describe this response`];

    const problems: string[] = [];
    const { headers = {}, content } = spec as ResponseSpec;
    for (const [name, raw] of Object.entries(headers)) {
      const [header] = resolve(raw);
      const value = seen.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) problems.push(`${where}: header ${name} is missing`);
        continue;
      }
      const schema = (header.schema ?? {}) as Obj;
      const text = String(value);
      const typed = schema.type === 'integer' && /^-?\d+$/.test(text) ? Number(text) : text;
      if (!ajv.validate(schema, typed)) {
        problems.push(`${where}: header ${name}: ${JSON.stringify(text)} ${ajv.errorsText()}`);
      }
    }
    const type =
      String(seen.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    if (!content) {
      if (seen.bodyBytes > 0) problems.push(`${where}: a body (${type}) where none is documented`);
      return problems;
    }
    const mediaType = Object.keys(content).find(
      (m) => m === type || (m.endsWith('/*') && type.startsWith(m.slice(0, -1))),
    );
    if (!mediaType) {
      problems.push(
        `${where}: content type "${type}" is not one of ${Object.keys(content).join(', ')}`,
      );
      return problems;
    }
    if (mediaType === 'application/json') {
      const validate = validator(pointerOf([...specPath, 'content', mediaType, 'schema']));
      if (!validate(seen.body)) {
        problems.push(
          `${where}: body ${ajv.errorsText(validate.errors)}: ${JSON.stringify(seen.body).slice(0, 300)}`,
        );
      }
    } else if (seen.bodyBytes === 0) {
      problems.push(`${where}: empty ${type} body`);
    }
    return problems;
  };
}
