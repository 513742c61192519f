#!/usr/bin/env bash
# deploy stage (the "run" of build/release/run): release the exact pushed image, by digest, with
# one environment's config, to that environment's Docker Swarm stack, then notify.
# scripts/swarm/deploy.sh does the release: a rolling update that starts each new task before
# stopping an old one, gated on readiness, rolled back by swarm if the new tasks never get ready;
# then the smoke test (the commit in /healthz, one real upload through nginx) and, if all passed,
# an entry in the stack's release ledger for scripts/ci/rollback.sh. docs/releases.md.
#   scripts/ci/deploy.sh staging|production
# The Docker host is DEPLOY_DOCKER_HOST (a protected CI/CD variable: the swarm manager), required:
# scripts/ci/deploy-target.sh. DEPLOY_URL: where nginx answers (the environment's URL).
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVIRONMENT=${1:?usage: deploy.sh staging|production}
: "${CI_REGISTRY_IMAGE:?}" "${CI_COMMIT_SHA:?}"
test -f "deploy/$ENVIRONMENT/compose.env" || { echo "deploy: no config for $ENVIRONMENT in deploy/$ENVIRONMENT/" >&2; exit 1; }
# shellcheck source=scripts/ci/deploy-target.sh
. scripts/ci/deploy-target.sh
# The swarm's nodes pull the image themselves: --with-registry-auth hands them this login.
# shellcheck source=scripts/ci/registry-login.sh
. scripts/ci/registry-login.sh

# The release: this image (by digest when the release job recorded one) + this config.
IMAGE="${IMAGE_DIGEST:-$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA}"
if bash scripts/swarm/deploy.sh "$ENVIRONMENT" "$IMAGE" "$CI_COMMIT_SHA"; then outcome=succeeded; else outcome=failed; fi
bash scripts/ci/notify.sh "$ENVIRONMENT" "$outcome" "$IMAGE"
[ "$outcome" = succeeded ]
