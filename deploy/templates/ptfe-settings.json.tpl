${jsonencode({
  hostname                = { value = hostname }
  https_port              = { value = "443" }
  production_type         = { value = "external" }
  enable_active_active    = { value = "1" }
  disk_path               = { value = "/var/lib/strata" }
  enc_password            = { value = enc_password }
  tls_cert_file           = { value = "/etc/strata/tls-cert.pem" }
  tls_key_file            = { value = "/etc/strata/tls-key.pem" }
  pg_netloc               = { value = pg_netloc }
  pg_dbname               = { value = pg_dbname }
  pg_user                 = { value = pg_user }
  pg_password             = { value = pg_password }
  pg_extra_params         = { value = "sslmode=require" }
  s3_bucket               = { value = s3_bucket }
  s3_region               = { value = s3_region }
  s3_endpoint             = { value = s3_endpoint }
  aws_access_key_id       = { value = s3_access_key_id }
  aws_secret_access_key   = { value = s3_secret_access_key }
  s3_sse                  = { value = s3_sse }
  redis_host              = { value = redis_host }
  redis_port              = { value = redis_port }
  redis_use_password_auth = { value = "1" }
  redis_pass              = { value = redis_password }
  redis_use_tls           = { value = "1" }
  redis_ca_cert_file      = { value = redis_ca_cert == "" ? "" : "/etc/strata/redis-ca.pem" }
  metrics_endpoint_enabled = { value = "1" }
  log_format              = { value = "json" }
  trusted_proxies         = { value = trusted_proxies }
})}
