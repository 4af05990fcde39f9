#!/usr/bin/env bash
# clean_root.sh — deploy/install.sh on a clean Debian 12 root (debootstrap minbase with git and
# ca-certificates only), as an auto scaling group's fresh VM would run it: the seed's two files,
# a prebuilt binary beside the script, then the time to `strata app status` started and the
# health check's answer. Run as root from the checkout after building build/strata; it is not
# part of CTest (it needs debootstrap and a Debian mirror). Prints "install.sh exit 0 in N s".
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
base=${STRATA_CLEAN_BASE:-/tmp/fresh-debian-base.tar}
if [ ! -f "$base" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  mirror=$(grep -h '^URIs' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
  b=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$b" "${mirror:-http://deb.debian.org/debian}" >/dev/null
  cp /etc/resolv.conf "$b/etc/"
  chroot "$b" /bin/sh -c 'apt-get update -qq && apt-get install -y -qq git ca-certificates' >/dev/null
  tar -C "$b" -cf "$base" . && rm -rf "$b"
fi
R=$(mktemp -d /tmp/clean-install.XXXXXX)
cleanup() {
  for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && kill -9 "${p#/proc/}" 2>/dev/null; done
  sleep 1; umount "$R/tmp" 2>/dev/null; umount -R "$R/dev" 2>/dev/null; umount "$R/proc" 2>/dev/null
  mount | grep -q " $R/" || rm -rf "$R"
}
trap cleanup EXIT
tar -C "$R" -xf "$base"; chmod 755 "$R"
mount -t proc proc "$R/proc"; mount --rbind /dev "$R/dev"; mount -t tmpfs tmpfs "$R/tmp"
git clone -q "$here" "$R/root/strata"
cp "$here/build/strata" "$R/root/strata/deploy/strata"
cat >"$R/etc/ptfe-settings.json" <<'JSON'
{"hostname": {"value": "localhost:8443"}, "https_port": {"value": "8443"},
 "production_type": {"value": "disk"}, "disk_path": {"value": "/var/lib/strata"},
 "enc_password": {"value": "clean root enc password 0123"}}
JSON
echo '{"ImportSettingsFrom": "/etc/ptfe-settings.json", "ReleaseSequence": 0}' >"$R/etc/replicated.conf"
t0=$(date +%s%N)
chroot "$R" /bin/bash -c "cd /root/strata && bash deploy/install.sh disable-replicated-ui" \
  >"$R/tmp/install.log" 2>&1
rc=$?
t1=$(date +%s%N)
echo "install.sh exit $rc in $(( (t1 - t0) / 1000000 )) ms"
tail -3 "$R/tmp/install.log"
chroot "$R" /bin/bash -c "curl -sk https://localhost:8443/_health_check; echo"
exit $rc
