/**
 * Runs one after another, in the order given unless `reverse`; the results in the order given.
 * Rounds that reverse the order keep any side from always running on the machine another left
 * (warmer caches, a throttled or a rested CPU).
 */
export async function inTurn<T extends unknown[]>(
  reverse: boolean,
  ...runs: { [K in keyof T]: () => Promise<T[K]> }
): Promise<T> {
  const results: unknown[] = [];
  const order = [...runs.keys()];
  if (reverse) order.reverse();
  for (const i of order) results[i] = await runs[i]!();
  return results as T;
}
