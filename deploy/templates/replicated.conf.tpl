${jsonencode({
  ImportSettingsFrom = "/etc/ptfe-settings.json"
  ReleaseSequence    = release_sequence
  TlsBootstrapType   = "server-path"
  TlsBootstrapCert   = "/etc/strata/tls-cert.pem"
  TlsBootstrapKey    = "/etc/strata/tls-key.pem"
})}
