/**
 * Readers for the configuration files the tests cross-check (env files, compose and nginx
 * durations), so every test reads them the same way.
 */

/** `NAME=value` lines of an env file (comments and blank lines skipped), as an object. */
export const parseEnvFile = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/**
 * A duration as compose ("10s", "1m30s") or nginx ("35s", "500ms", "35": seconds) writes it, in
 * ms. Anything else throws: a test must not compare against a value it misread.
 */
export function durationMs(value: unknown): number {
  const text = String(value);
  if (!/^(\d+(ms|s|m)?)+$/.test(text)) throw new Error(`not a duration: ${text}`);
  return [...text.matchAll(/(\d+)(ms|s|m)?/g)].reduce(
    (ms, [, n, unit]) => ms + Number(n) * UNIT_MS[(unit ?? 's') as keyof typeof UNIT_MS],
    0,
  );
}
