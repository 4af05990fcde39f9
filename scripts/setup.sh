#!/usr/bin/env bash
# setup.sh — installs what Strata builds and tests with, from Debian 12's packages (as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(build-essential cmake pkg-config
          libevent-dev libjansson-dev libsqlite3-dev libsodium-dev libssl-dev libhttp-parser-dev
          libarchive-dev libcurl4-openssl-dev bubblewrap
          libcriterion-dev python3 openssl curl ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
