#!/usr/bin/env bash
# release stage: package the build job's dist/ (no recompile) into the image, tag it with the
# commit, push it, and record its digest for later jobs (release.env, a dotenv artifact).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CI_REGISTRY_IMAGE:?}" "${CI_COMMIT_SHA:?}"
IMAGE="$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
test -f dist/build-info.json || { echo "release: dist/ from the build job is missing" >&2; exit 1; }
if [ -n "${CI_REGISTRY_PASSWORD:-}" ]; then
  echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
fi
DOCKER_BUILDKIT=1 docker build --target release \
  --build-arg GIT_COMMIT="$CI_COMMIT_SHA" \
  --build-arg VERSION="$(node -p 'require("./package.json").version')" \
  --build-arg BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --build-arg SOURCE_URL="${CI_PROJECT_URL:-unknown}" \
  -t "$IMAGE" .
docker push "$IMAGE"
DIGEST=$(docker inspect --format '{{index .RepoDigests 0}}' "$IMAGE")
echo "pushed $IMAGE as $DIGEST"
printf 'IMAGE=%s\nIMAGE_DIGEST=%s\n' "$IMAGE" "$DIGEST" >release.env
