import type { OpenApiDocument } from './document-parts';

/**
 * GET /docs: the OpenAPI document as one plain HTML page, rendered on the server from the same
 * document /openapi.json serves, so it shows this deployment's limits. No script and no
 * stylesheet from elsewhere: it works offline and under a CSP that allows only inline styles.
 */
const escape = (text: unknown) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

type Schema = Record<string, unknown>;
interface Operation {
  summary?: string;
  parameters?: { name: string; description?: string; schema?: Schema }[];
  requestBody?: { description?: string; content?: Record<string, unknown> };
  responses?: Record<
    string,
    { description?: string; headers?: Record<string, unknown>; content?: Record<string, unknown> }
  >;
}

const text = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : '';

/** "integer, 1-100, default 80", "one of: cover, contain", ...: a schema in a few words. */
function constraints(schema: Schema = {}): string {
  const parts = [text(schema.type)];
  if (Array.isArray(schema.enum)) parts.push(`one of: ${schema.enum.map(text).join(', ')}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`${text(schema.minimum)}-${text(schema.maximum)}`);
  if (typeof schema.pattern === 'string') parts.push(`matching ${schema.pattern}`);
  if (schema.default !== undefined) parts.push(`default ${text(schema.default)}`);
  return parts.filter(Boolean).join(', ');
}

const table = (head: string[], rows: unknown[][]) =>
  `<table><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`)
    .join('')}</table>`;

type Response = NonNullable<Operation['responses']>[string];

function operation(doc: OpenApiDocument, method: string, path: string, op: Operation): string {
  const params = op.parameters ?? [];
  // Shared responses (errors, the preflight) are references to components.responses.
  const resolve = (r: Response & { $ref?: string }): Response =>
    r.$ref ? ((doc.components.responses?.[r.$ref.split('/').pop() ?? ''] as Response) ?? {}) : r;
  const responses = Object.entries(op.responses ?? {}).map(
    ([status, r]) => [status, resolve(r)] as const,
  );
  return `<section id="${escape(`${method}-${path}`)}"><h2><code>${escape(method.toUpperCase())} ${escape(path)}</code></h2>
<p>${escape(op.summary ?? '')}</p>
${
  params.length
    ? `<h3>Parameters (query, or form fields)</h3>${table(
        ['name', 'constraints', 'meaning'],
        params.map((p) => [p.name, constraints(p.schema), p.description ?? '']),
      )}`
    : ''
}
${op.requestBody ? `<h3>Body</h3><p>${escape(Object.keys(op.requestBody.content ?? {}).join(', '))}: ${escape(op.requestBody.description ?? '')}</p>` : ''}
<h3>Responses</h3>${table(
    ['status', 'body', 'headers', 'meaning'],
    responses.map(([status, r]) => [
      status,
      Object.keys(r.content ?? {}).join(', '),
      Object.keys(r.headers ?? {}).join(', '),
      r.description ?? '',
    ]),
  )}</section>`;
}

export function renderApiReference(doc: OpenApiDocument): string {
  const info = doc.info as { title: string; version: string; description: string };
  const codes = doc.components.schemas.ErrorCode as { description: string };
  const errorRows = codes.description
    .split('\n')
    .filter((line) => /^\| [A-Z_]+ \|/.test(line))
    .map((line) => line.slice(2, -2).split(' | '));
  const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => operation(doc, method, path, op as Operation)),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escape(info.title)} API ${escape(info.version)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .2rem}</style></head>
<body><h1>${escape(info.title)} API <small>${escape(info.version)}</small></h1>
<p>${escape(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escape(doc.openapi)}).</p>
${ops.join('\n')}
<section id="errors"><h2>Error codes</h2>${table(['code', 'status', 'when'], errorRows)}</section>
</body></html>`;
}
