#!/usr/bin/env bash
# Installs the Debian packages sae-report builds against, when they are missing.
set -euo pipefail
need=()
for pkg in libopenblas-dev libdnnl-dev libpng-dev libcmark-dev zlib1g-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
