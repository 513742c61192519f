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

/**
 * The variables a Dockerfile's `ENV` instructions set (every stage's, later ones winning), as
 * an object. Only the unquoted `NAME=value` form this repository writes: anything else throws,
 * so a test never runs with a value it misread.
 */
export function dockerfileEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const instructions = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of instructions) {
    const match = /^ENV\s+(.*)$/.exec(line.trim());
    if (!match) continue;
    for (const pair of match[1]!.trim().split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at < 1 || /["'$]/.test(pair)) throw new Error(`Dockerfile ENV: cannot read "${pair}"`);
      env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

/**
 * What the container image sets for the Node process itself (glibc's arenas, V8's young
 * generation), read from a Dockerfile: the benchmarks and process tests run `node
 * dist/server.js` with these, as the image runs it. Older revisions' Dockerfiles (bench:ab
 * --rev) may lack one: only what is set is returned.
 */
export function imageProcessEnv(dockerfile: string): Record<string, string> {
  const env = dockerfileEnv(dockerfile);
  return Object.fromEntries(
    ['MALLOC_ARENA_MAX', 'NODE_OPTIONS'].flatMap((name) =>
      env[name] === undefined ? [] : [[name, env[name]]],
    ),
  );
}

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
