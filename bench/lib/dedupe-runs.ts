import { runLoad } from './load';
import type { Report } from './report';

/**
 * Dedupe: the same upload again (a hit: HEADs only, no decoding) against misses (distinct
 * uploads), at concurrency 1 so each figure is one request's own time.
 */
export async function dedupeRuns(
  url: string,
  photo: (i: number) => Buffer,
  from: number,
): Promise<Report['dedupe']> {
  const route = `${url}/v1/images?widths=320,640,1280`;
  const miss = await runLoad({
    url: route,
    concurrency: 1,
    requests: 10,
    body: (i) => photo(from + i),
  });
  const hit = await runLoad({ url: route, concurrency: 1, requests: 30, body: () => photo(from) });
  return { miss, hit };
}
