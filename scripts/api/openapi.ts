/**
 * Writes (or, with --check, compares) docs/openapi.json: the document the service serves at
 * GET /openapi.json, for a deployment with the default settings and API keys required (the usual
 * public one). Taken from the app itself (src/wiring.ts), not rebuilt here, so the committed
 * copy is exactly what a replica with that config answers. Regenerate after changing a route, a
 * parameter, an error code or a default: `npm run openapi`.
 *   tsx scripts/api/openapi.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../../src/config/config';
import { createMemoryImageStore } from '../../src/storage/memory-image-store';
import { wire } from '../../src/wiring';

export const PUBLISHED_FILE = 'docs/openapi.json';

/** The published document: defaults, with API keys required. The version is the package's. */
export function publishedDocument(): string {
  const config = loadConfig({
    NODE_ENV: 'production',
    S3_BUCKET: 'images',
    API_KEYS: 'k'.repeat(32),
  });
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  const { app } = wire(config, pino({ level: 'silent' }), {
    buildInfo: { version, revision: 'published' },
    store: createMemoryImageStore().store,
  });
  return `${JSON.stringify(app.locals.openapi, null, 2)}\n`;
}

if (require.main === module) {
  const text = publishedDocument();
  if (process.argv.includes('--check')) {
    if (readFileSync(PUBLISHED_FILE, 'utf8') !== text) {
      console.error(`${PUBLISHED_FILE} is stale: run npm run openapi`);
      process.exit(1);
    }
    console.log(`${PUBLISHED_FILE} is current`);
  } else {
    writeFileSync(PUBLISHED_FILE, text);
    console.log(`wrote ${PUBLISHED_FILE}`);
  }
}
