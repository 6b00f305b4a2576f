#!/usr/bin/env bash
# Tools the deployment checks need: promtool (Debian package prometheus) and kubectl's kustomize.
set -euo pipefail
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v kubectl >/dev/null || missing+=(kubernetes-client)
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
