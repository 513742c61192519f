import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/observability/logger';
import { createMemoryImageStore } from '../../src/storage/memory-image-store';
import { wire, type Seams } from '../../src/wiring';
import type { TestS3 } from './s3-server';

export const TEST_BUILD = { version: '9.9.9-test', revision: 'abc1234' };

/** Where a test app stores its variants: a real S3 server, or memory (see `inMemory`). */
export type TestStorage = Pick<TestS3, 'env'> & { seams?: Seams };

/** Storage in memory, for tests that are not about S3; `objects` shows what was written. */
export function inMemory() {
  const { store, objects } = createMemoryImageStore();
  return { env: {}, seams: { store }, objects };
}

/**
 * The production object graph (src/wiring.ts's wire) pointed at a test S3 server or at memory,
 * with log lines captured in memory so tests can read them: parsed, and as written (parsing
 * hides a key written twice, last one wins).
 */
export function buildTestApp(
  storage: TestStorage,
  env: Record<string, string> = {},
  seams: Seams = {},
) {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', ...storage.env, ...env });
  const logLines: Record<string, unknown>[] = [];
  const rawLogLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        rawLogLines.push(line);
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, ...TEST_BUILD }, sink);
  const built = wire(config, logger, { buildInfo: TEST_BUILD, ...storage.seams, ...seams });
  return { ...built, config, logLines, rawLogLines };
}
