#!/usr/bin/env bash
# Validates the deployment files with the real tools, without a Docker engine or a cluster:
#   - docker compose config / docker-compose config (Debian's docker-compose 1.29) on the compose
#     files, alone and with the GPU and the local (no registry) overrides;
#   - kubectl kustomize (kustomize v5 built into kubectl) on the base and the GPU overlay;
#   - dockerfile-utils lint (npm: dockerfile-utils@0.16.3) on the Dockerfile.
# A tool that is missing is reported and skipped; set STRICT=1 to fail instead.
# Usage: deploy/validate.sh   (from anywhere; exits non-zero on the first invalid file)
set -euo pipefail
cd "$(dirname "$0")/.."

missing() {
  echo "deploy/validate.sh: $1 not found, skipped ($2)" >&2
  if [ "${STRICT:-0}" = 1 ]; then exit 1; fi
}

if docker compose version > /dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose > /dev/null; then
  compose=(docker-compose)
else
  compose=()
  missing "docker compose / docker-compose" "apt-get install docker-compose"
fi
if [ ${#compose[@]} -gt 0 ]; then
  "${compose[@]}" -f docker-compose.yml config -q
  "${compose[@]}" -f docker-compose.yml -f deploy/docker-compose.gpu.yml config -q
  "${compose[@]}" -f docker-compose.yml -f deploy/compose.local.yml config -q
  echo "compose files: valid (${compose[*]})"
fi

if command -v kubectl > /dev/null; then
  for dir in deploy/k8s/base deploy/k8s/overlays/gpu; do
    kubectl kustomize "$dir" > /dev/null
  done
  echo "kustomizations: build (kubectl kustomize)"
elif command -v kustomize > /dev/null; then
  for dir in deploy/k8s/base deploy/k8s/overlays/gpu; do
    kustomize build "$dir" > /dev/null
  done
  echo "kustomizations: build (kustomize)"
else
  missing "kubectl / kustomize" "kubectl >= 1.27 (kustomize v5) or kustomize itself; Debian bookworm's kubernetes-client 1.20 bundles kustomize v2, which predates labels:"
fi

if command -v dockerfile-utils > /dev/null; then
  dockerfile-utils lint Dockerfile
  echo "Dockerfile: lints clean (dockerfile-utils)"
else
  missing "dockerfile-utils" "npm install -g dockerfile-utils@0.16.3"
fi
