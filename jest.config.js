// Tests are transpiled by SWC (fast, no type checking); `npm run typecheck` is the type gate.
// TEST_TARGET=dist runs the same tests against the compiled dist/ instead of src/ (the pipeline's
// test job tests exactly the artifact it will ship).
const againstDist = process.env.TEST_TARGET === 'dist';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: againstDist ? { '^(?:\\.\\./)+src/(.*)$': '<rootDir>/dist/$1' } : {},
  collectCoverageFrom: againstDist ? ['dist/**/*.js'] : ['src/**/*.ts'],
  // Against dist/, V8's own coverage mapped back through the build's source maps (dist/*.js.map),
  // so the Cobertura report names src/*.ts and merge requests annotate the TypeScript lines.
  coverageProvider: againstDist ? 'v8' : 'babel',
  coverageReporters: ['text-summary', 'cobertura'],
  setupFiles: ['<rootDir>/test/support/env.ts'],
  // Every supertest response is checked against the app's OpenAPI document.
  setupFilesAfterEnv: ['<rootDir>/test/support/contract-hook.ts'],
  testTimeout: 30_000,
};
