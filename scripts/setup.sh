#!/usr/bin/env bash
# setup.sh — installs what Strata builds and tests with, from Debian 12's packages (as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.."
packages=(build-essential cmake pkg-config
          libevent-dev libjansson-dev libsqlite3-dev libsodium-dev libssl-dev libhttp-parser-dev
          libarchive-dev libcurl4-openssl-dev libpq-dev libhiredis-dev bubblewrap libnss-wrapper
          passt iproute2 libcriterion-dev python3 openssl curl ca-certificates)
# what the tests run beside Strata (started by the tests on loopback, never as system services)
if [ "${1:-}" = "--tests" ]; then
  packages+=(postgresql-15 redis-server redis-sentinel haproxy python3-botocore
            openssh-server openssh-client git gnupg chromium cppcheck)
  command -v npm >/dev/null || packages+=(nodejs npm)
fi
source scripts/apt_ensure.sh
apt_ensure "${packages[@]}"
# runs' pasta opens the TUN device as the run's account: 0666, as Debian's udev makes it (a host
# or container without udev leaves it 0600)
[ ! -c /dev/net/tun ] || chmod 0666 /dev/net/tun
if [ "${1:-}" = "--tests" ] && { [ ! -x tests/services/node_modules/.bin/s3rver ] ||
                                 [ ! -d tests/services/node_modules/playwright-core ]; }; then
  (cd tests/services && npm ci --no-audit --no-fund --loglevel=error)
fi
