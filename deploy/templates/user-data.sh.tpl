#!/usr/bin/env bash
# Boots one Strata node of an auto scaling group with no one at a console: the two files the
# seed names, the TLS pair, then the installer. Every node of the group runs the same script.
set -euo pipefail
install -d -m 0700 /etc/strata
cat >/etc/strata/tls-cert.pem <<'PEM'
${tls_cert}
PEM
cat >/etc/strata/tls-key.pem <<'PEM'
${tls_key}
PEM
chmod 0600 /etc/strata/tls-key.pem
%{ if redis_ca_cert != "" ~}
cat >/etc/strata/redis-ca.pem <<'PEM'
${redis_ca_cert}
PEM
%{ endif ~}
cat >/etc/ptfe-settings.json <<'JSON'
${settings}
JSON
chmod 0600 /etc/ptfe-settings.json
cat >/etc/replicated.conf <<'JSON'
${replicated_conf}
JSON
apt-get update -qq && apt-get install -y -qq git ca-certificates curl unzip
curl -fsSL -o /tmp/terraform.zip \
  "https://releases.hashicorp.com/terraform/${terraform_version}/terraform_${terraform_version}_linux_amd64.zip"
unzip -o -q /tmp/terraform.zip -d /usr/local/bin
git clone --depth 1 --branch "${strata_ref}" "${strata_repository}" /opt/strata
bash /opt/strata/deploy/install.sh disable-replicated-ui
