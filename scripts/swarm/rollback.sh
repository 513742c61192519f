#!/usr/bin/env bash
# Roll a stack back to the release before the one it runs (or to a given recorded release):
# that release's image digest and that environment's config as they were deployed, from the
# stack's ledger (scripts/swarm/lib.sh), through the same health-gated rolling update as a
# deploy. Nothing is rebuilt; the image is pulled by digest.
#   scripts/swarm/rollback.sh <environment> [release id]     # ids: scripts/swarm/releases.sh
# Same environment variables as scripts/swarm/deploy.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/swarm/lib.sh

ENVIRONMENT=${1:?usage: rollback.sh <environment> [release id]}
swarm_load_env "$ENVIRONMENT"
swarm_ensure
current=$(swarm_current_release)
[ -n "$current" ] || swarm_fail "stack $STACK runs no recorded release"
if [ -n "${2:-}" ]; then
  target=$2
else
  # The newest recorded release older than the running one: rolling back twice goes back two
  # releases, never forth again.
  target=$(swarm_ledger_ids | awk -v cur="$current" '$0 < cur' | tail -n 1)
fi
[ -n "$target" ] || swarm_fail "no release before $current is recorded for $STACK (scripts/swarm/releases.sh $ENVIRONMENT)"
[ "$target" != "$current" ] || swarm_fail "stack $STACK already runs release $target"
name="$STACK-release-$target"
docker config inspect "$name" >/dev/null 2>&1 || swarm_fail "release $target is not in the ledger of $STACK"
label() { docker config inspect --format "{{index .Spec.Labels \"io.image-resizer.$1\"}}" "$name"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The config exactly as that release ran with it (the ledger holds its text).
docker config inspect --format '{{printf "%s" .Spec.Data}}' "$name" >"$work/app.env"
echo "swarm: rolling $STACK back from release $current to $target ($(label image))"
RELEASE_ID=$target DEPLOY_APP_CONFIG="$work/app.env" DEPLOY_REPLICAS=$(label replicas) \
  bash scripts/swarm/deploy.sh "$ENVIRONMENT" "$(label image)" "$(label revision)"
