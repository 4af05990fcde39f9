#!/usr/bin/env bash
# run.sh — builds Strata and runs one node in embedded mode (SQLite, local disk, in-process
# queue). First run writes a settings file with a random enc_password under $STRATA_HOME
# (default /var/lib/strata); keep that file: the password opens the encrypted data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
home=${STRATA_HOME:-/var/lib/strata}
port=${STRATA_PORT:-8443}
config="$home/ptfe-settings.json"
mkdir -p "$home"
chmod 700 "$home"
if [ ! -f "$config" ]; then
  umask 077
  password=$(openssl rand -hex 32)
  cat >"$config" <<JSON
{
  "hostname":        {"value": "localhost:$port"},
  "https_port":      {"value": "$port"},
  "production_type": {"value": "disk"},
  "disk_path":       {"value": "$home/data"},
  "enc_password":    {"value": "$password"}
}
JSON
  echo "wrote $config (keep it: its enc_password opens the data)"
fi
exec build/strata server --config "$config"
