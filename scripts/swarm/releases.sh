#!/usr/bin/env bash
# The releases recorded for one environment's stack, oldest first; `*` marks the one running.
#   scripts/swarm/releases.sh <environment>
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/swarm/lib.sh
swarm_load_env "${1:?usage: releases.sh <environment>}"
current=$(swarm_current_release)
printf '  %-27s %-12s %s\n' RELEASE COMMIT IMAGE
for id in $(swarm_ledger_ids); do
  fmt='{{index .Spec.Labels "io.image-resizer.revision"}} {{index .Spec.Labels "io.image-resizer.image"}}'
  read -r commit image < <(docker config inspect --format "$fmt" "$STACK-release-$id")
  mark=" "
  [ "$id" = "$current" ] && mark="*"
  printf '%s %-27s %-12s %s\n' "$mark" "$id" "${commit:0:12}" "$image"
done
