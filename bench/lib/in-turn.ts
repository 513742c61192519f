/**
 * Two runs one after the other, `a` first unless `swap`; the results in the order a, b. Rounds
 * that swap the order keep either side from always running on the machine the other left
 * (warmer caches, a throttled or a rested CPU).
 */
export async function inTurn<T>(swap: boolean, a: () => Promise<T>, b: () => Promise<T>) {
  if (!swap) {
    const first = await a();
    return [first, await b()] as const;
  }
  const first = await b();
  return [await a(), first] as const;
}
