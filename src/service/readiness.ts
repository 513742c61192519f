import type { ImageStore } from '../storage/image-store';

export interface Readiness {
  /** True when storage answered within the last `ttlMs` and the process is not stopping. */
  check(): Promise<boolean>;
}

/**
 * Probes are cached for a few seconds so that N load balancers polling /readyz every second
 * cost one bucket check per window, and concurrent probes share one request.
 */
export function createReadiness(
  store: ImageStore,
  draining: () => boolean,
  { ttlMs = 2000, now = Date.now }: { ttlMs?: number; now?: (() => number) | undefined } = {},
): Readiness {
  let cached: { ok: boolean; at: number } | undefined;
  let inFlight: Promise<boolean> | undefined;

  const probe = async () => {
    const ok = await store.ping().then(
      () => true,
      () => false,
    );
    cached = { ok, at: now() };
    return ok;
  };

  return {
    async check() {
      if (draining()) return false;
      if (cached && now() - cached.at < ttlMs) return cached.ok;
      inFlight ??= probe().finally(() => (inFlight = undefined));
      return inFlight;
    },
  };
}
