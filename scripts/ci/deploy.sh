#!/usr/bin/env bash
# deploy stage (the "run" of build/release/run): start the exact pushed image with one
# environment's config, then smoke-test it and notify.
#   scripts/ci/deploy.sh staging|production
# The Docker host is DEPLOY_DOCKER_HOST (a CI variable) or the local engine when unset.
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVIRONMENT=${1:?usage: deploy.sh staging|production}
: "${CI_REGISTRY_IMAGE:?}" "${CI_COMMIT_SHA:?}"
CONFIG="deploy/$ENVIRONMENT"
test -f "$CONFIG/compose.env" || { echo "deploy: no config for $ENVIRONMENT in $CONFIG/" >&2; exit 1; }
if [ -n "${DEPLOY_DOCKER_HOST:-}" ]; then export DOCKER_HOST="$DEPLOY_DOCKER_HOST"; fi

# The release: this image (by digest when the release job recorded one) + this config.
export APP_IMAGE="${IMAGE_DIGEST:-$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA}"
set -a
# shellcheck disable=SC1090
. "$CONFIG/compose.env"
set +a
echo "deploying $APP_IMAGE to $ENVIRONMENT (project $COMPOSE_PROJECT_NAME, nginx :$NGINX_PORT)"
docker pull "$APP_IMAGE"
docker compose up -d --no-build --wait --wait-timeout 180 --scale "app=${APP_REPLICAS:-2}"

URL="http://127.0.0.1:$NGINX_PORT"
if bash scripts/ci/smoke-test.sh "$URL" "$CI_COMMIT_SHA"; then outcome=succeeded; else outcome=failed; fi
bash scripts/ci/notify.sh "$ENVIRONMENT" "$outcome" "$APP_IMAGE"
[ "$outcome" = succeeded ]
