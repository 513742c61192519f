#!/usr/bin/env bash
# test stage: the unit, integration and process tests against the compiled dist/ from the build
# job (not the TypeScript sources), with a JUnit report and Cobertura coverage.
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f dist/build-info.json || { echo "test: dist/ from the build job is missing" >&2; exit 1; }
npm ci --no-audit --no-fund --prefer-offline
npm run test:dist
