#!/bin/sh
# .pre stage: the image the pipeline's other Docker-using jobs run in (scripts/ci/job-image/),
# pushed as $CI_REGISTRY_IMAGE/job-image:$JOB_IMAGE_TAG. Built only when the registry does not
# have that tag yet: the tag is a hash of the Dockerfile, so a change there (its date line, to
# take Debian's security updates) is a new tag. A tag is never pushed twice with other contents.
# POSIX sh: it runs in the plain Docker CLI image, which has no bash.
set -eu
: "${CI_REGISTRY_IMAGE:?}" "${JOB_IMAGE_TAG:?}" "${NODE_IMAGE:?NODE_IMAGE (pinned in .gitlab-ci.yml)}"
cd "$(dirname "$0")/../.."
IMAGE="$CI_REGISTRY_IMAGE/job-image:$JOB_IMAGE_TAG"
# shellcheck source=scripts/ci/registry-login.sh
. scripts/ci/registry-login.sh
# Asked of the registry by this client, so no image is pulled just to learn that it exists.
if docker manifest inspect "$IMAGE" >/dev/null 2>&1; then
  echo "job-image: $IMAGE is in the registry; nothing to build"
  exit 0
fi
docker build --build-arg NODE_IMAGE="$NODE_IMAGE" -t "$IMAGE" scripts/ci/job-image
docker push "$IMAGE"
docker run --rm "$IMAGE" cat /etc/job-image-packages
