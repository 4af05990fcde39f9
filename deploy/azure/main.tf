# Strata active/active on Azure: a virtual machine scale set behind a load balancer, PostgreSQL
# Flexible Server and Azure Cache for Redis on its TLS port 6380 with TLS 1.2 at least (the
# seed's Azure appendix; redis_pass is the cache's access key). Strata's object storage speaks
# S3 and Azure Blob Storage does not: point s3_* at an S3-compatible service reachable from the
# scale set (AWS S3, or one you run).
terraform {
  required_version = ">= 1.3"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 3.80"
    }
  }
}

provider "azurerm" {
  features {}
}

locals {
  name = "strata"
  settings = templatefile("${path.module}/../templates/ptfe-settings.json.tpl", {
    hostname             = var.hostname
    enc_password         = var.enc_password
    pg_netloc            = "${azurerm_postgresql_flexible_server.strata.fqdn}:5432"
    pg_dbname            = azurerm_postgresql_flexible_server_database.strata.name
    pg_user              = azurerm_postgresql_flexible_server.strata.administrator_login
    pg_password          = var.db_password
    s3_bucket            = var.s3_bucket
    s3_region            = var.s3_region
    s3_endpoint          = var.s3_endpoint
    s3_access_key_id     = var.s3_access_key_id
    s3_secret_access_key = var.s3_secret_access_key
    s3_sse               = ""
    redis_host           = azurerm_redis_cache.strata.hostname
    redis_port           = tostring(azurerm_redis_cache.strata.ssl_port)
    redis_password       = azurerm_redis_cache.strata.primary_access_key
    redis_ca_cert        = ""
    trusted_proxies      = var.trusted_proxies
  })
}

resource "azurerm_resource_group" "strata" {
  name     = local.name
  location = var.location
}

resource "azurerm_postgresql_flexible_server" "strata" {
  name                   = "${local.name}-${var.suffix}"
  resource_group_name    = azurerm_resource_group.strata.name
  location               = azurerm_resource_group.strata.location
  version                = "15"
  sku_name               = var.db_sku
  storage_mb             = 65536
  administrator_login    = "strata"
  administrator_password = var.db_password
  delegated_subnet_id    = var.database_subnet_id
  private_dns_zone_id    = var.postgres_private_dns_zone_id
  high_availability {
    mode = "ZoneRedundant"
  }
}

resource "azurerm_postgresql_flexible_server_database" "strata" {
  name      = "strata"
  server_id = azurerm_postgresql_flexible_server.strata.id
}

# TLS on 6380 only, 1.2 at least; the access key is Strata's redis_pass.
resource "azurerm_redis_cache" "strata" {
  name                 = "${local.name}-${var.suffix}"
  resource_group_name  = azurerm_resource_group.strata.name
  location             = azurerm_resource_group.strata.location
  capacity             = 1
  family               = "C"
  sku_name             = "Standard"
  non_ssl_port_enabled = false
  minimum_tls_version  = "1.2"
}

resource "azurerm_public_ip" "strata" {
  name                = local.name
  resource_group_name = azurerm_resource_group.strata.name
  location            = azurerm_resource_group.strata.location
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_lb" "strata" {
  name                = local.name
  resource_group_name = azurerm_resource_group.strata.name
  location            = azurerm_resource_group.strata.location
  sku                 = "Standard"
  frontend_ip_configuration {
    name                 = "public"
    public_ip_address_id = azurerm_public_ip.strata.id
  }
}

resource "azurerm_lb_backend_address_pool" "strata" {
  name            = local.name
  loadbalancer_id = azurerm_lb.strata.id
}

resource "azurerm_lb_probe" "strata" {
  name            = "health"
  loadbalancer_id = azurerm_lb.strata.id
  protocol        = "Https"
  port            = 443
  request_path    = "/_health_check"
}

resource "azurerm_lb_rule" "strata" {
  name                           = "https"
  loadbalancer_id                = azurerm_lb.strata.id
  protocol                       = "Tcp"
  frontend_port                  = 443
  backend_port                   = 443
  frontend_ip_configuration_name = "public"
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.strata.id]
  probe_id                       = azurerm_lb_probe.strata.id
}

resource "azurerm_linux_virtual_machine_scale_set" "strata" {
  name                = local.name
  resource_group_name = azurerm_resource_group.strata.name
  location            = azurerm_resource_group.strata.location
  sku                 = var.vm_size
  instances           = var.node_count
  admin_username      = "strata"
  upgrade_mode        = "Manual"
  health_probe_id     = azurerm_lb_probe.strata.id
  admin_ssh_key {
    username   = "strata"
    public_key = var.ssh_public_key
  }
  source_image_reference {
    publisher = "Debian"
    offer     = "debian-12"
    sku       = "12"
    version   = "latest"
  }
  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }
  network_interface {
    name    = local.name
    primary = true
    ip_configuration {
      name                                   = "internal"
      primary                                = true
      subnet_id                              = var.node_subnet_id
      load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.strata.id]
    }
  }
  custom_data = base64encode(templatefile("${path.module}/../templates/user-data.sh.tpl", {
    settings          = local.settings
    replicated_conf   = templatefile("${path.module}/../templates/replicated.conf.tpl", { release_sequence = var.release_sequence })
    tls_cert          = var.tls_cert_pem
    tls_key           = var.tls_key_pem
    redis_ca_cert     = ""
    terraform_version = var.terraform_version
    strata_repository = var.strata_repository
    strata_ref        = var.strata_ref
  }))
}

output "url" {
  value = "https://${var.hostname}"
}

output "load_balancer_address" {
  description = "Point the hostname's DNS record here."
  value       = azurerm_public_ip.strata.ip_address
}
