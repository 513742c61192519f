#!/usr/bin/env bash
# `npm run pipeline:local`: runs .gitlab-ci.yml's jobs for the current commit on this machine with
# gitlab-ci-local (shell executor), through deploy-staging, then checks what it left behind:
# the image in the registry with the commit's labels, and staging (the Swarm stack
# image-resizer-staging, nginx on :8081) reporting the commit. Exit 0 only if every job passed
# and both checks hold. deploy-staging makes this machine's engine a one-node swarm if it is not
# one (docs/releases.md); `docker compose` keeps working on it.
#
# Needs: Docker with Compose v2 and buildx, a registry on 127.0.0.1:5000 (started here with
# `registry:2` if none answers), Node.js 24, rsync, and a committed work tree (it runs HEAD).
# Only variables differ from a GitLab run: the registry, the Docker host (this machine's engine
# instead of a Docker-in-Docker service, which gets a do-nothing stand-in), the S3 server
# for the test job, and SWARM_RESOLVE_IMAGE=never (nginx's and the S3 server's images exist only
# on this machine: no registry to ask for their digests).
set -euo pipefail
cd "$(dirname "$0")/../.."

REGISTRY=${LOCAL_REGISTRY:-127.0.0.1:5000}
S3_NAME=image-resizer-pipeline-s3
S3_PORT=${PIPELINE_S3_PORT:-18334}

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

docker rm -f "$S3_NAME" >/dev/null 2>&1 || true
trap 'docker rm -f "$S3_NAME" >/dev/null 2>&1 || true' EXIT
docker run -d --name "$S3_NAME" -p "127.0.0.1:$S3_PORT:8333" -e S3_BUCKET=images chrislusf/seaweedfs:4.44 mini -dir=/data >/dev/null

# The shell executor uses this machine's Docker, so the Docker-in-Docker service is not needed;
# gitlab-ci-local still starts a job's services, so it gets an idle stand-in built from the Node image.
NO_DIND=image-resizer-local/no-dind:1
if ! docker image inspect "$NO_DIND" >/dev/null 2>&1; then
  printf 'FROM node:24-trixie-slim\nCMD ["sleep", "infinity"]\n' | docker build -q -t "$NO_DIND" - >/dev/null
fi

# The release's runtime base is .gitlab-ci.yml's pinned NODE_IMAGE. No public registry answers
# here: a local stand-in takes its name (the sandbox's Node 24 build), and the run says so.
node_image=$(sed -n 's/^  NODE_IMAGE: //p' .gitlab-ci.yml)
if ! docker image inspect "$node_image" >/dev/null 2>&1; then
  docker tag node:24-trixie-slim "$node_image"
  echo "pipeline:local: $node_image is a local stand-in (node:24-trixie-slim, $(docker run --rm "$node_image" node --version))"
fi

SHA=$(git rev-parse HEAD)
echo "pipeline:local: running the pipeline for $SHA"
${GITLAB_CI_LOCAL:-npx gitlab-ci-local} \
  --force-shell-executor \
  --variable "CI_REGISTRY=$REGISTRY" \
  --variable "CI_REGISTRY_IMAGE=$REGISTRY/image-resizer" \
  --variable "DOCKER_HOST=unix:///var/run/docker.sock" \
  --variable "DIND_IMAGE=$NO_DIND" \
  --variable "DOCKER_TLS_VERIFY=" \
  --variable "DOCKER_CERT_PATH=" \
  --variable "TEST_TRUE_S3_ENDPOINT=http://127.0.0.1:$S3_PORT" \
  --variable "SWARM_RESOLVE_IMAGE=never" \
  --variable "E2E_HOST=127.0.0.1" \
  --variable "DEPLOY_DOCKER_HOST=unix:///var/run/docker.sock" \
  "$@"

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
