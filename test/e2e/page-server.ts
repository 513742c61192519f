import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

// The upload page's origin for the browser test (test/e2e/browser.ts): another origin than the
// API's, so the browser really applies CORS.
const PAGE_DIR = resolve(__dirname, '../../examples/upload-page');
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The page's own files and nothing else: no listing, no path out of PAGE_DIR. */
async function answerStatic(req: IncomingMessage, res: ServerResponse) {
  const refuse = (status: number) => res.writeHead(status, { 'Content-Length': 0 }).end();
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405);
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://page').pathname);
  } catch {
    return refuse(400);
  }
  if (pathname.endsWith('/')) pathname += 'index.html';
  const file = resolve(PAGE_DIR, `.${pathname}`);
  const type = CONTENT_TYPES[extname(file)];
  if (!file.startsWith(PAGE_DIR + sep) || pathname.includes('\0') || !type) return refuse(404);
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return refuse(404);
  }
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function servePage(origin: URL): Promise<Server> {
  const server = createServer((req, res) => void answerStatic(req, res));
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(Number(origin.port || 80), origin.hostname.replace(/^\[|\]$/g, ''), listening);
  });
  return server;
}
