#!/usr/bin/env bash
# `npm run pipeline:local`: runs .gitlab-ci.yml's jobs for the current commit on this machine with
# gitlab-ci-local's docker executor, each job inside its own image as GitLab's runners run it,
# through deploy-staging, then checks what it left behind: the image in the registry with the
# commit's labels, and staging (the Swarm stack image-resizer-staging, nginx on :8081) reporting
# the commit. Exit 0 only if every job passed and both checks hold. deploy-staging makes this
# machine's engine a one-node swarm if it is not one (docs/releases.md).
#
# Needs: Docker with Compose v2 and buildx, a registry on 127.0.0.1:5000 (started here with
# `registry:2` if none answers), Node.js 24, rsync, and a committed work tree (it runs HEAD).
# What differs from GitLab, and why (docs/pipeline.md lists each):
#   - No privileged containers here, so no Docker-in-Docker: the jobs that use Docker get this
#     machine's engine (its socket, DOCKER_HOST=unix://...), and the name "docker", where GitLab's
#     DinD service publishes the stack's ports, points at this machine (--extra-host
#     docker:host-gateway). The jobs reach what they start at "docker", never at their own
#     loopback, exactly as on GitLab. The DinD service itself is an idle stand-in.
#   - Images no registry here can give (NODE_IMAGE's pinned tag, the Docker CLI image) are local
#     stand-ins under the same names, built from Debian's packages; the run says so.
#   - The registry is 127.0.0.1:5000, this machine's, which its engine pushes to and pulls from.
#   - SWARM_RESOLVE_IMAGE=never (nginx's and the S3 server's images exist only on this machine).
#   - STAGING_URL is http://docker:8081: staging as the deploy job reaches it.
set -euo pipefail
cd "$(dirname "$0")/../.."

REGISTRY=${LOCAL_REGISTRY:-127.0.0.1:5000}

fail() { echo "pipeline:local: $*" >&2; exit 1; }
docker info >/dev/null 2>&1 || fail "no Docker engine answers (on this project's machines: ../shared/container-sandbox/setup)"
docker compose version >/dev/null 2>&1 || fail "Docker Compose v2 is missing"
command -v rsync >/dev/null || fail "rsync is missing (Debian: apt-get install rsync); gitlab-ci-local needs it"
[ -z "$(git status --porcelain --untracked-files=no)" ] || echo "pipeline:local: note: uncommitted changes are not part of the run (it runs HEAD)"
if ! curl -sf "http://$REGISTRY/v2/" >/dev/null; then
  echo "pipeline:local: starting a registry on $REGISTRY"
  docker run -d --restart unless-stopped --name image-resizer-local-registry -p "$REGISTRY:5000" registry:2 >/dev/null
fi

# Staging is a Swarm stack now (scripts/ci/deploy.sh); an earlier run of this script left a
# compose project of the same name, which holds staging's port.
if [ -n "$(docker ps -aq --filter label=com.docker.compose.project=image-resizer-staging)" ]; then
  echo "pipeline:local: removing the compose deployment of staging left by an earlier version"
  docker compose -p image-resizer-staging down --remove-orphans >/dev/null 2>&1 || true
fi

ci_var() { sed -n "s/^  $1: //p" .gitlab-ci.yml; }
# An image .gitlab-ci.yml names: pulled when a registry gives it, else (no public registry answers
# on this project's machines) a local stand-in under the same name, and the run says so.
have_or_pull() { docker image inspect "$1" >/dev/null 2>&1 || docker pull -q "$1" >/dev/null 2>&1; }
stand_in() { # stand_in NAME DOCKERFILE-TEXT WHAT
  have_or_pull "$1" && return 0
  printf '%s\n' "$2" | docker build -q -t "$1" - >/dev/null || fail "could not build the stand-in $1"
  echo "pipeline:local: $1 is a local stand-in ($3)"
}
node_image=$(ci_var NODE_IMAGE)
stand_in "$node_image" "FROM node:24-trixie-slim" "node:24-trixie-slim, the sandbox's Node 24"
# The Docker CLI image runs only job-image.sh: sh, docker, buildx.
stand_in "$(ci_var DOCKER_IMAGE)" "FROM node:24-trixie-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-cli docker-buildx >/dev/null && rm -rf /var/lib/apt/lists/*" \
  "Debian's docker-cli and docker-buildx"
# The DinD service: started by gitlab-ci-local as GitLab would, unused (the jobs get the socket).
NO_DIND=image-resizer-local/no-dind:1
stand_in "$NO_DIND" 'FROM node:24-trixie-slim
CMD ["sleep", "infinity"]' "an idle container for the DinD service"
# gitlab-ci-local's helper image copies artifacts and caches out of the jobs with rsync. The real
# one has it; a stand-in without it (this project's sandbox had one) would silently lose every
# artifact, and the next job fail on a missing dist/. Then one with rsync added is used.
HELPER=firecow/gitlab-ci-local-util:latest
have_or_pull "$HELPER" || fail "no $HELPER (gitlab-ci-local's helper image)"
if ! docker run --rm --entrypoint sh "$HELPER" -c 'command -v rsync' >/dev/null 2>&1; then
  HELPER=image-resizer-local/gcl-util:1
  stand_in "$HELPER" 'FROM firecow/gitlab-ci-local-util:latest
RUN (apk add --no-cache rsync || (apt-get update -qq && apt-get install -y -qq --no-install-recommends rsync && rm -rf /var/lib/apt/lists/*)) >/dev/null' \
    "gitlab-ci-local's helper with rsync added"
  echo "pipeline:local: gitlab-ci-local's helper image has no rsync here: using $HELPER"
fi

SHA=$(git rev-parse HEAD)
echo "pipeline:local: running the pipeline for $SHA (docker executor)"
started=$(date +%s)
${GITLAB_CI_LOCAL:-npx gitlab-ci-local} \
  --helper-image "$HELPER" \
  --volume /var/run/docker.sock:/var/run/docker.sock \
  --extra-host docker:host-gateway \
  --variable "CI_REGISTRY=$REGISTRY" \
  --variable "CI_REGISTRY_IMAGE=$REGISTRY/image-resizer" \
  --variable "DOCKER_HOST=unix:///var/run/docker.sock" \
  --variable "DIND_IMAGE=$NO_DIND" \
  --variable "DOCKER_TLS_VERIFY=" \
  --variable "DOCKER_CERT_PATH=" \
  --variable "SWARM_RESOLVE_IMAGE=never" \
  --variable "DEPLOY_DOCKER_HOST=unix:///var/run/docker.sock" \
  --variable "STAGING_URL=http://docker:8081" \
  "$@"
echo "pipeline:local: the jobs took $(($(date +%s) - started)) s"

echo "pipeline:local: checking the release and the deployment"
IMAGE="$REGISTRY/image-resizer:$SHA"
docker image rm "$IMAGE" >/dev/null 2>&1 || true
docker pull -q "$IMAGE" >/dev/null || fail "the registry has no $IMAGE"
label() { docker inspect -f "{{index .Config.Labels \"org.opencontainers.image.$1\"}}" "$IMAGE"; }
[ "$(label revision)" = "$SHA" ] || fail "label revision is '$(label revision)', expected $SHA"
echo "pipeline:local: $IMAGE labels: revision=$(label revision) version=$(label version) created=$(label created)"
revision=$(curl -sf http://127.0.0.1:8081/healthz | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).revision')
[ "$revision" = "$SHA" ] || fail "staging on 127.0.0.1:8081 reports revision '$revision', expected $SHA"
echo "pipeline:local: staging on http://127.0.0.1:8081 runs $revision"
echo "pipeline:local: passed"
