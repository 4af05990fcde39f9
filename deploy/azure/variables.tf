variable "location" {
  type = string
}

variable "suffix" {
  description = "Makes the globally unique names (database server, cache) unique."
  type        = string
}

variable "hostname" {
  type = string
}

variable "node_count" {
  description = "1 to start; 2 and 3 once runs validate."
  type        = number
  default     = 1
}

variable "node_subnet_id" {
  type = string
}

variable "database_subnet_id" {
  description = "A subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers."
  type        = string
}

variable "postgres_private_dns_zone_id" {
  type = string
}

variable "vm_size" {
  type    = string
  default = "Standard_D4s_v5"
}

variable "db_sku" {
  type    = string
  default = "GP_Standard_D2s_v3"
}

variable "ssh_public_key" {
  type = string
}

variable "enc_password" {
  type      = string
  sensitive = true
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "s3_endpoint" {
  description = "An S3-compatible endpoint (\"\" for AWS S3 in s3_region)."
  type        = string
}

variable "s3_bucket" {
  type = string
}

variable "s3_region" {
  type    = string
  default = "us-east-1"
}

variable "s3_access_key_id" {
  type = string
}

variable "s3_secret_access_key" {
  type      = string
  sensitive = true
}

variable "tls_cert_pem" {
  type = string
}

variable "tls_key_pem" {
  type      = string
  sensitive = true
}

variable "release_sequence" {
  type    = number
  default = 0
}

variable "terraform_version" {
  type    = string
  default = "1.11.4"
}

variable "strata_repository" {
  type = string
}

variable "strata_ref" {
  type    = string
  default = "main"
}

# Empty: this example's balancer passes TCP through with the client's own source address. A
# balancer that connects from its own addresses (HAProxy, an NLB of IP targets) must send the
# PROXY protocol and be listed here (CIDRs), or every client shares its address (docs/cluster.md).
variable "trusted_proxies" {
  type    = string
  default = ""
}
