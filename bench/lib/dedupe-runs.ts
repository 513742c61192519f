import type { BodyParts } from './corpus';
import { inTurn } from './in-turn';
import { median, runLoad, type LoadResult } from './load';

export interface DedupeRuns {
  /** The last round's runs (older files: the only ones, 10 misses then 30 hits, unwarmed). */
  miss: LoadResult;
  hit: LoadResult;
  /** Since 2026-12-02, 14:40: each alternating round's p50s, after a warm-up of both paths. */
  rounds?: { miss: number; hit: number }[];
}

/**
 * Dedupe: the same upload again (a hit: one HEAD, no decoding) against misses (distinct
 * uploads), at concurrency 1 so each figure is one request's own time. Both paths are warmed
 * first: run a few dozen times only, a hit was timed partly before V8 had compiled its code,
 * which a service answering thousands of requests never is. Then alternating rounds, since
 * this machine's speed drifts within seconds (a hit's p50 moved by a third between runs a
 * minute apart); the target is the median of each round's own ratio, as for the c=8 targets.
 */
export async function dedupeRuns(
  url: string,
  photo: (i: number) => BodyParts,
  from: number,
  rounds: number,
): Promise<DedupeRuns> {
  if (rounds < 1) throw new Error('dedupe: at least one round');
  const route = `${url}/v1/images?widths=320,640,1280`;
  let next = from + 1;
  // An error answered fast would pass for a hit: only 201 (made) and 200 (found) count.
  const expect = (status: number) => (result: LoadResult) => {
    const other = Object.keys(result.statuses).filter((s) => Number(s) !== status);
    if (other.length > 0) {
      throw new Error(`dedupe: expected ${status}, got ${JSON.stringify(result.statuses)}`);
    }
    return result;
  };
  const misses = (requests: number) =>
    runLoad({ url: route, concurrency: 1, requests, body: () => photo(next++) }).then(expect(201));
  const hits = (requests: number) =>
    runLoad({ url: route, concurrency: 1, requests, body: () => photo(from) }).then(expect(200));
  await misses(3);
  await runLoad({ url: route, concurrency: 1, requests: 1, body: () => photo(from) }).then(
    expect(201),
  );
  await hits(50);
  const runs: { miss: LoadResult; hit: LoadResult }[] = [];
  for (let round = 0; round < rounds; round++) {
    const [miss, hit] = await inTurn(
      round % 2 === 1,
      () => misses(8),
      () => hits(30),
    );
    runs.push({ miss, hit });
  }
  const last = runs.at(-1)!;
  return { ...last, rounds: runs.map((r) => ({ miss: r.miss.p50, hit: r.hit.p50 })) };
}

/** The target's figures: medians over the rounds, or the one pair of an older file. */
export function dedupeFigures({ miss, hit, rounds }: DedupeRuns) {
  if (!rounds?.length) return { miss: miss.p50, hit: hit.p50, ratio: miss.p50 / hit.p50 };
  const ratios = rounds.map((r) => r.miss / r.hit);
  return {
    miss: median(rounds.map((r) => r.miss)),
    hit: median(rounds.map((r) => r.hit)),
    ratio: median(ratios),
    ratios,
  };
}
