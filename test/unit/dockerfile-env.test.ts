import { dockerfileEnv, imageProcessEnv } from '../support/config-files';

// The benchmarks and process tests run dist/server.js with what the image sets: a misread here
// would measure and test another process than the one that ships.
describe('dockerfileEnv', () => {
  it("gives the final stage its own ENV and its ancestors', not other stages'", () => {
    const text = [
      'FROM node AS deps',
      'ENV A=deps',
      'FROM node AS base',
      'ENV B=1 \\',
      '    C=2',
      'FROM deps AS unrelated',
      'ENV B=unrelated',
      'FROM base AS runtime',
      'ENV C=3',
    ].join('\n');
    expect(dockerfileEnv(text)).toEqual({ B: '1', C: '3' });
  });

  it('joins continuations as Docker does: spaces or CR after the backslash, comments inside', () => {
    const text = 'FROM node\r\nENV A=1 \\  \r\n# why B\r\n    B=2\r\n';
    expect(dockerfileEnv(text.replace(/\r\n/g, '\n'))).toEqual({ A: '1', B: '2' });
    expect(dockerfileEnv('FROM node\nENV A=1 \\ \t\n  # a comment\n  B=2\n')).toEqual({
      A: '1',
      B: '2',
    });
    expect(dockerfileEnv('FROM node\nENV A=1 \\\r\n    B=2\r\n')).toEqual({ A: '1', B: '2' });
  });

  it('refuses what it cannot read rather than guess', () => {
    expect(() => dockerfileEnv('FROM node\nENV A="x y"')).toThrow(/cannot read/);
    expect(() => dockerfileEnv('FROM node\nENV A=$B')).toThrow(/cannot read/);
    expect(() => dockerfileEnv('ENV A=1')).toThrow(/before any FROM/);
  });

  it("reads this repository's image: glibc's malloc settings and V8's young generation", () => {
    expect(imageProcessEnv()).toEqual({
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: String(16 * 2 ** 20),
      MALLOC_TRIM_THRESHOLD_: String(32 * 2 ** 20),
      NODE_OPTIONS: '--max-semi-space-size=4',
    });
  });
});
