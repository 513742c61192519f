#!/usr/bin/env bash
# release stage: package the build job's dist/ (no recompile) into the image, tag it with the
# commit, push it, and record its digest for later jobs (release.env, a dotenv artifact).
# A release is the tested bytes, made the same way every time:
#   - the runtime base is NODE_IMAGE, pinned in .gitlab-ci.yml (the image the tests ran on), not
#     the Dockerfile's floating default;
#   - the image's date label is the commit's time, not the build's, so a rebuild of one commit
#     differs only where its base or packages did;
#   - a tag pipeline builds nothing: it takes the digest that commit's branch pipeline pushed and
#     tested (promote.sh then tags that digest). A tag on a commit no pipeline released fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CI_REGISTRY_IMAGE:?}" "${CI_COMMIT_SHA:?}" "${NODE_IMAGE:?NODE_IMAGE (pinned in .gitlab-ci.yml)}"
IMAGE="$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
# shellcheck source=scripts/ci/registry-login.sh
. scripts/ci/registry-login.sh
if [ -n "${CI_COMMIT_TAG:-}" ]; then
  if ! digest=$(docker buildx imagetools inspect --format '{{json .Manifest.Digest}}' "$IMAGE" 2>/dev/null | tr -d '"') || [ -z "$digest" ]; then
    echo "release: tag $CI_COMMIT_TAG: no $IMAGE in the registry; tag a commit whose default-branch pipeline released it" >&2
    exit 1
  fi
  DIGEST="$CI_REGISTRY_IMAGE@$digest"
  echo "release: tag $CI_COMMIT_TAG reuses $IMAGE, tested as $DIGEST (nothing rebuilt)"
else
  test -f dist/build-info.json || { echo "release: dist/ from the build job is missing" >&2; exit 1; }
  DOCKER_BUILDKIT=1 docker build --target release \
    --build-arg NODE_IMAGE="$NODE_IMAGE" \
    --build-arg GIT_COMMIT="$CI_COMMIT_SHA" \
    --build-arg VERSION="$(node -p 'require("./package.json").version')" \
    --build-arg BUILD_DATE="${CI_COMMIT_TIMESTAMP:-$(git log -1 --format=%cI "$CI_COMMIT_SHA" 2>/dev/null || echo unknown)}" \
    --build-arg SOURCE_URL="${CI_PROJECT_URL:-unknown}" \
    -t "$IMAGE" .
  docker push "$IMAGE"
  DIGEST=$(docker inspect --format '{{index .RepoDigests 0}}' "$IMAGE")
  echo "pushed $IMAGE as $DIGEST"
fi
printf 'IMAGE=%s\nIMAGE_DIGEST=%s\n' "$IMAGE" "$DIGEST" >release.env
