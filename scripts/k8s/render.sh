#!/usr/bin/env bash
# Renders one environment's Kubernetes manifests with the release's image pinned by digest,
# to stdout. Nothing is applied: pipe it to kubectl (docs/releases.md).
#   scripts/k8s/render.sh <environment> <registry/image@sha256:...>
#   scripts/k8s/render.sh production "$IMAGE_DIGEST" | kubectl apply --server-side -f -
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVIRONMENT=${1:?usage: render.sh <environment> <image@sha256:...>}
IMAGE=${2:?usage: render.sh <environment> <image@sha256:...>}
OVERLAY="$PWD/deploy/k8s/overlays/$ENVIRONMENT"
[ -d "$OVERLAY" ] || { echo "render: no overlay $OVERLAY" >&2; exit 1; }
# A digest, never a tag: a tag can point elsewhere tomorrow, and a rollback must get these bytes.
[[ "$IMAGE" =~ ^([^@]+)@(sha256:[0-9a-f]{64})$ ]] ||
  { echo "render: '$IMAGE' is not <name>@sha256:<64 hex>" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A throwaway kustomization on top of the overlay: the repo holds no image name or registry.
# (kustomize takes only relative paths to other kustomizations.)
cat >"$work/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$work" "$OVERLAY")
images:
  - name: image-resizer
    newName: ${BASH_REMATCH[1]}
    digest: ${BASH_REMATCH[2]}
YAML
kubectl kustomize "$work"
