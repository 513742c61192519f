import { readFileSync } from 'node:fs';
import path from 'node:path';

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
 * The variables a Dockerfile's `ENV` instructions give its final stage (the default build
 * target): that stage's own and those of the stages it is built `FROM`, later ones winning; an
 * `ENV` in a stage the image does not descend from does not count. Only the unquoted
 * `NAME=value` form this repository writes: anything else throws, so a test never runs with a
 * value it misread.
 */
export function dockerfileEnv(text: string): Record<string, string> {
  // Docker joins a line ending in a backslash (spaces and CR allowed after it) with the next,
  // and drops comment lines inside such a continuation.
  const lines = text
    .replace(/\\[ \t]*\r?\n(?:[ \t]*#[^\n]*\n)*/g, ' ')
    .split('\n')
    .map((line) => line.trim());
  const stages: { name?: string; base: string; env: [string, string][] }[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ base: from[1]!, name: from[2], env: [] });
    const env = /^ENV\s+(.*)$/.exec(line);
    if (!env) continue;
    const stage = stages.at(-1);
    if (!stage) throw new Error('Dockerfile: ENV before any FROM');
    for (const pair of env[1]!.trim().split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at < 1 || /["'$]/.test(pair)) throw new Error(`Dockerfile ENV: cannot read "${pair}"`);
      stage.env.push([pair.slice(0, at), pair.slice(at + 1)]);
    }
  }
  const chain: typeof stages = [];
  // A stage can only be built FROM one named before it: walking back never loops.
  for (let i = stages.length - 1; i >= 0;) {
    const stage = stages[i]!;
    chain.unshift(stage);
    let parent = -1;
    for (let j = 0; j < i; j++) if (stages[j]!.name === stage.base) parent = j;
    i = parent;
  }
  return Object.fromEntries(chain.flatMap((stage) => stage.env));
}

/**
 * What the container image sets for the Node process itself (every MALLOC_* variable, for
 * glibc's malloc, and NODE_OPTIONS, for V8), read from a checkout's Dockerfile (this one's by
 * default): the benchmarks and process tests run `node dist/server.js` with these, as the image
 * runs it. Older revisions' Dockerfiles (bench:ab --rev) may lack some: only what is set is
 * returned.
 */
export function imageProcessEnv(
  checkout = path.join(__dirname, '..', '..'),
): Record<string, string> {
  const env = dockerfileEnv(readFileSync(path.join(checkout, 'Dockerfile'), 'utf8'));
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => name.startsWith('MALLOC_') || name === 'NODE_OPTIONS'),
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
