import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/observability/logger';
import { wire } from '../../src/wiring';
import type { TestS3 } from './s3-server';

export const TEST_BUILD = { version: '9.9.9-test', revision: 'abc1234' };

/**
 * The production object graph (src/wiring.ts's wire) pointed at a test S3 server, with log
 * lines captured in memory so tests can read them: parsed, and as written (parsing hides a key
 * written twice, last one wins).
 */
export function buildTestApp(s3: Pick<TestS3, 'env'>, env: Record<string, string> = {}) {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', ...s3.env, ...env });
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
  return { ...wire(config, logger, TEST_BUILD), config, logLines, rawLogLines };
}
