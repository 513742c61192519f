#!/usr/bin/env bash
# rollback jobs (manual): return an environment to the release it ran before the current one,
# from its stack's release ledger: that release's image digest and config, through the same
# health-gated rolling update and smoke test as a deploy. Nothing is built or re-tagged.
# ROLLBACK_TO=<release id> (from scripts/swarm/releases.sh) picks another recorded release.
#   scripts/ci/rollback.sh staging|production
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVIRONMENT=${1:?usage: rollback.sh staging|production}
# shellcheck source=scripts/ci/deploy-target.sh
. scripts/ci/deploy-target.sh
# shellcheck source=scripts/ci/registry-login.sh
. scripts/ci/registry-login.sh
bash scripts/swarm/releases.sh "$ENVIRONMENT"
if bash scripts/swarm/rollback.sh "$ENVIRONMENT" ${ROLLBACK_TO:+"$ROLLBACK_TO"}; then outcome=succeeded; else outcome=failed; fi
. scripts/swarm/lib.sh
swarm_load_env "$ENVIRONMENT"
image=$(docker service inspect "${STACK}_app" --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' 2>/dev/null || echo unknown)
bash scripts/ci/notify.sh "$ENVIRONMENT" "rollback $outcome" "$image"
[ "$outcome" = succeeded ]
