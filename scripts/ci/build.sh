#!/usr/bin/env bash
# build stage: install exactly the lockfile, run the static gates, compile dist/ once.
# dist/ (with dist/build-info.json: version, commit, pipeline id, build time) is the artifact
# every later job uses; nothing is compiled again after this.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm ci --no-audit --no-fund --prefer-offline
npm run lint
npm run typecheck
npm run format
# The API contract: docs/openapi.json and the typed client's types current, the document linted.
npm run openapi:check
npm run build
cat dist/build-info.json
