#!/usr/bin/env bash
# release stage: the container tests (test/e2e/compose.sh) against the image just pushed, pulled
# from the registry, not rebuilt.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CI_REGISTRY_IMAGE:?}" "${CI_COMMIT_SHA:?}"
npm ci --no-audit --no-fund --prefer-offline
# The engine pulls the image itself: on a private project it must be logged in first.
# shellcheck source=scripts/ci/registry-login.sh
. scripts/ci/registry-login.sh
IMAGE="${IMAGE_DIGEST:-$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA}"
# Drop any local copy, so the stack runs what the registry holds.
docker image rm "$IMAGE" >/dev/null 2>&1 || true
# E2E_HOST: where the engine publishes the stack's port (docker, the DinD service, on GitLab).
E2E_IMAGE="$IMAGE" E2E_PROJECT="image-resizer-ci-${CI_JOB_ID:-local}" bash test/e2e/compose.sh
