#!/usr/bin/env bash
# release stage, tags only: give the tested image's exact digest the version tag and :latest.
# The registry copies the manifest; nothing is rebuilt, so the bytes are the ones tested.
set -euo pipefail
: "${CI_REGISTRY_IMAGE:?}" "${CI_COMMIT_SHA:?}" "${CI_COMMIT_TAG:?}"
if [ -n "${CI_REGISTRY_PASSWORD:-}" ]; then
  echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
fi
SOURCE="${IMAGE_DIGEST:-$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA}"
docker buildx imagetools create -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG" -t "$CI_REGISTRY_IMAGE:latest" "$SOURCE"
docker buildx imagetools inspect "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG"
