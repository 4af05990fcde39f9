variable "project" {
  type = string
}

variable "region" {
  type = string
}

variable "hostname" {
  description = "The name clients use (a DNS record for the load balancer)."
  type        = string
}

variable "node_count" {
  description = "1 to start; 2 and 3 once runs validate."
  type        = number
  default     = 1
}

variable "network" {
  description = "VPC network self link (private services access set up for Cloud SQL and Memorystore)."
  type        = string
}

variable "subnetwork" {
  type = string
}

variable "machine_type" {
  type    = string
  default = "n2-standard-4"
}

variable "db_tier" {
  type    = string
  default = "db-custom-2-7680"
}

variable "enc_password" {
  type      = string
  sensitive = true
}

variable "db_password" {
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
