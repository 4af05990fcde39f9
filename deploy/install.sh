#!/usr/bin/env bash
# install.sh — installs a Strata node with no one at a console, from the two files the seed
# names: /etc/replicated.conf (installer settings, ImportSettingsFrom) and /etc/ptfe-settings.json.
#
#   sudo bash deploy/install.sh [disable-replicated-ui] [any other flag TFE's installer takes]
#
# It installs the libraries Strata needs (Debian 12 packages), the binary (a prebuilt `strata`
# beside this script or in $STRATA_BINARY; otherwise it builds this source tree), checks the
# settings, writes the systemd unit and starts the node, then waits until
# `strata app status` says started. Set STRATA_ROOT to install under another root (tests);
# where systemd does not run (a container, a chroot) the node is started in the background.
set -euo pipefail
root=${STRATA_ROOT:-}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)

for flag in "$@"; do
  case "$flag" in
    disable-replicated-ui)
      echo "install.sh: Strata has no admin console to disable; continuing" ;;
    *)
      echo "install.sh: \"$flag\" is a flag of TFE's installer that Strata does not need; ignored" ;;
  esac
done

conf="$root/etc/replicated.conf"
settings="$root/etc/ptfe-settings.json"
if [ -f "$conf" ]; then
  config=$conf
elif [ -f "$settings" ]; then
  config=$settings
else
  echo "install.sh: write $conf (with ImportSettingsFrom) or $settings first" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
runtime=(libevent-2.1-7 libevent-openssl-2.1-7 libevent-pthreads-2.1-7 libjansson4 libsqlite3-0
         libsodium23 libssl3 libhttp-parser2.9 libarchive13 libcurl4 libpq5 libhiredis0.14
         bubblewrap libnss-wrapper passt iproute2 ca-certificates curl)
binary=${STRATA_BINARY:-}
[ -z "$binary" ] && [ -x "$here/strata" ] && binary="$here/strata"
if [ -z "$binary" ]; then # from source: the build tools too
  bash "$src/scripts/setup.sh"
  cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$src/build" -j"$(nproc)" >/dev/null
  binary="$src/build/strata"
fi
source "$src/scripts/apt_ensure.sh"
apt_ensure "${runtime[@]}"
# runs' pasta opens the TUN device as the run's account: 0666, as Debian's udev makes it
[ -n "$root" ] || [ ! -c /dev/net/tun ] || chmod 0666 /dev/net/tun
command -v terraform >/dev/null ||
  echo "install.sh: no terraform on the PATH: remote runs wait until one is installed" >&2

install -d "$root/usr/local/bin"
install -m 0755 "$binary" "$root/usr/local/bin/strata"
strata="$root/usr/local/bin/strata"
"$strata" config check --config "$config" # a bad setting stops here, naming the key

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  install -m 0644 "$here/strata.service" /etc/systemd/system/strata.service
  [ "$config" = "$conf" ] ||
    sed -i "s#--config /etc/replicated.conf#--config $config#" /etc/systemd/system/strata.service
  systemctl daemon-reload
  systemctl enable --now strata.service
else
  install -d "$root/etc/systemd/system" "$root/var/log"
  install -m 0644 "$here/strata.service" "$root/etc/systemd/system/strata.service"
  echo "install.sh: systemd is not running here; starting the node in the background" \
       "(log: $root/var/log/strata.log)"
  setsid nohup "$strata" server --config "$config" >>"$root/var/log/strata.log" 2>&1 </dev/null &
  echo $! >"$root/var/log/strata.pid"
fi

# installed once the node says so, as the seed's check reads it
for _ in $(seq 1 120); do
  status=$("$strata" app status --config "$config" 2>/dev/null || true)
  if echo "$status" | grep -q '"State": "started"' &&
     echo "$status" | grep -q '"IsTransitioning": false'; then
    echo "$status"
    echo "install.sh: Strata is installed and started"
    exit 0
  fi
  if echo "$status" | grep -q '"State": "stopped"' && ! echo "$status" | grep -q '"Error": ""'; then
    echo "$status" >&2
    echo "install.sh: the node stopped; the Error above says why" >&2
    exit 1
  fi
  sleep 0.5
done
echo "install.sh: the node did not start within a minute" >&2
"$strata" app status --config "$config" >&2 || true
exit 1
