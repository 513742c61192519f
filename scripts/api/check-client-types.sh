#!/usr/bin/env bash
# Fails when examples/typed-client/api-types.ts is not what openapi-typescript makes of
# docs/openapi.json today (run `npm run openapi` to regenerate both).
set -euo pipefail
cd "$(dirname "$0")/../.."
fresh=$(mktemp --suffix=.ts)
trap 'rm -f "$fresh"' EXIT
npx openapi-typescript docs/openapi.json -o "$fresh" >/dev/null
npx prettier --stdin-filepath examples/typed-client/api-types.ts <"$fresh" >"$fresh.fmt"
mv "$fresh.fmt" "$fresh"
if ! diff -q "$fresh" examples/typed-client/api-types.ts >/dev/null; then
  echo "examples/typed-client/api-types.ts is stale: run npm run openapi" >&2
  exit 1
fi
echo "examples/typed-client/api-types.ts is current"
