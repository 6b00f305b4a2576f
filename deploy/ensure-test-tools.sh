#!/usr/bin/env bash
# Tools the tests need: promtool (Debian package prometheus) and kubectl's kustomize for the
# deployment checks; Debian's chromium and its driver for the console's browser tests.
set -euo pipefail
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v kubectl >/dev/null || missing+=(kubernetes-client)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
# a Chinese font, so the screenshots show the console as people see it
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
