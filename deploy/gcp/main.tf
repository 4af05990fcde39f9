# Strata active/active on Google Cloud: a regional managed instance group behind a TCP load
# balancer, Cloud SQL PostgreSQL, Cloud Storage through its S3-compatible XML API (HMAC keys),
# and Memorystore Redis with AUTH and in-transit encryption; Strata's redis_password (the
# seed's GCP appendix) is the instance's auth_string.
terraform {
  required_version = ">= 1.3"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.0"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region
}

locals {
  name = "strata"
  settings = templatefile("${path.module}/../templates/ptfe-settings.json.tpl", {
    hostname             = var.hostname
    enc_password         = var.enc_password
    pg_netloc            = "${google_sql_database_instance.strata.private_ip_address}:5432"
    pg_dbname            = google_sql_database.strata.name
    pg_user              = google_sql_user.strata.name
    pg_password          = var.db_password
    s3_bucket            = google_storage_bucket.strata.name
    s3_region            = var.region
    s3_endpoint          = "https://storage.googleapis.com"
    s3_access_key_id     = google_storage_hmac_key.strata.access_id
    s3_secret_access_key = google_storage_hmac_key.strata.secret
    s3_sse               = ""
    redis_host           = google_redis_instance.strata.host
    redis_port           = tostring(google_redis_instance.strata.port)
    redis_password       = google_redis_instance.strata.auth_string
    redis_ca_cert        = google_redis_instance.strata.server_ca_certs[0].cert
    trusted_proxies      = var.trusted_proxies
  })
}

resource "google_sql_database_instance" "strata" {
  name                = local.name
  database_version    = "POSTGRES_15"
  deletion_protection = true
  settings {
    tier              = var.db_tier
    availability_type = "REGIONAL"
    ip_configuration {
      ipv4_enabled    = false
      private_network = var.network
    }
  }
}

resource "google_sql_database" "strata" {
  name     = "strata"
  instance = google_sql_database_instance.strata.name
}

resource "google_sql_user" "strata" {
  name     = "strata"
  instance = google_sql_database_instance.strata.name
  password = var.db_password
}

resource "google_storage_bucket" "strata" {
  name                        = "${var.project}-strata"
  location                    = var.region
  uniform_bucket_level_access = true
}

resource "google_service_account" "objects" {
  account_id   = "strata-objects"
  display_name = "Strata object storage (HMAC key for the S3-compatible API)"
}

resource "google_storage_bucket_iam_member" "objects" {
  bucket = google_storage_bucket.strata.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.objects.email}"
}

resource "google_storage_hmac_key" "strata" {
  service_account_email = google_service_account.objects.email
}

resource "google_redis_instance" "strata" {
  name                    = local.name
  tier                    = "STANDARD_HA"
  memory_size_gb          = 4
  redis_version           = "REDIS_7_0"
  authorized_network      = var.network
  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION"
}

resource "google_compute_instance_template" "strata" {
  name_prefix  = local.name
  machine_type = var.machine_type
  tags         = ["strata"]
  disk {
    source_image = "debian-cloud/debian-12"
    boot         = true
    disk_size_gb = 50
  }
  network_interface {
    subnetwork = var.subnetwork
  }
  metadata = {
    startup-script = templatefile("${path.module}/../templates/user-data.sh.tpl", {
      settings          = local.settings
      replicated_conf   = templatefile("${path.module}/../templates/replicated.conf.tpl", { release_sequence = var.release_sequence })
      tls_cert          = var.tls_cert_pem
      tls_key           = var.tls_key_pem
      redis_ca_cert     = google_redis_instance.strata.server_ca_certs[0].cert
      terraform_version = var.terraform_version
      strata_repository = var.strata_repository
      strata_ref        = var.strata_ref
    })
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_region_health_check" "strata" {
  name = local.name
  https_health_check {
    port         = 443
    request_path = "/_health_check"
  }
}

resource "google_compute_region_instance_group_manager" "strata" {
  name               = local.name
  base_instance_name = local.name
  target_size        = var.node_count
  version {
    instance_template = google_compute_instance_template.strata.id
  }
  auto_healing_policies {
    health_check      = google_compute_region_health_check.strata.id
    initial_delay_sec = 300
  }
}

resource "google_compute_region_backend_service" "strata" {
  name                  = local.name
  protocol              = "TCP"
  load_balancing_scheme = "EXTERNAL"
  health_checks         = [google_compute_region_health_check.strata.id]
  backend {
    group = google_compute_region_instance_group_manager.strata.instance_group
  }
}

resource "google_compute_forwarding_rule" "strata" {
  name                  = local.name
  load_balancing_scheme = "EXTERNAL"
  port_range            = "443"
  backend_service       = google_compute_region_backend_service.strata.id
}

output "url" {
  value = "https://${var.hostname}"
}

output "load_balancer_address" {
  description = "Point the hostname's DNS record here."
  value       = google_compute_forwarding_rule.strata.ip_address
}
