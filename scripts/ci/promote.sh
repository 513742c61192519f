#!/usr/bin/env bash
# release stage, tags only: give the tested image's exact digest the version tag and :latest.
# The registry copies the manifest; nothing is rebuilt, so the bytes are the ones tested.
set -euo pipefail
: "${CI_REGISTRY_IMAGE:?}" "${CI_COMMIT_SHA:?}" "${CI_COMMIT_TAG:?}"
# shellcheck source=scripts/ci/registry-login.sh
. "$(dirname "$0")/registry-login.sh"
SOURCE="${IMAGE_DIGEST:-$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA}"
docker buildx imagetools create -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG" -t "$CI_REGISTRY_IMAGE:latest" "$SOURCE"
docker buildx imagetools inspect "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG"
