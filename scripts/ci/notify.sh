#!/usr/bin/env bash
# Tells a chat or incident tool about a deploy: POSTs JSON to DEPLOY_WEBHOOK_URL (a CI variable,
# masked). Skipped, saying so, when the variable is unset.
#   scripts/ci/notify.sh <environment> <succeeded|failed> <image>
set -euo pipefail
if [ -z "${DEPLOY_WEBHOOK_URL:-}" ]; then
  echo "notify: DEPLOY_WEBHOOK_URL is not set; skipped"
  exit 0
fi
payload=$(printf '{"text":"image-resizer deploy to %s %s: %s (commit %s, pipeline %s)"}' \
  "$1" "$2" "$3" "${CI_COMMIT_SHORT_SHA:-?}" "${CI_PIPELINE_URL:-local}")
curl -sS -m 10 -X POST -H 'Content-Type: application/json' -d "$payload" "$DEPLOY_WEBHOOK_URL" >/dev/null &&
  echo "notify: sent" || echo "notify: the webhook failed (the deploy result stands)"
