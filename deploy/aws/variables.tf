variable "region" {
  type = string
}

variable "hostname" {
  description = "The name clients use (a DNS record for the load balancer); every node's settings carry it."
  type        = string
}

variable "node_count" {
  description = "1 to start; 2 and 3 once runs validate (the seed's steps 4 and 5)."
  type        = number
  default     = 1
}

variable "vpc_id" {
  type = string
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "public_subnet_ids" {
  type = list(string)
}

variable "client_cidrs" {
  description = "Who may reach the nodes on 443 (clients and the load balancer's health checks)."
  type        = list(string)
}

variable "debian12_ami_id" {
  type = string
}

variable "instance_type" {
  type    = string
  default = "m6i.xlarge"
}

variable "db_instance_class" {
  type    = string
  default = "db.m6g.large"
}

variable "redis_node_type" {
  type    = string
  default = "cache.m6g.large"
}

variable "enc_password" {
  description = "Opens the encrypted data; the same on every node, never changed."
  type        = string
  sensitive   = true
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "redis_auth_token" {
  description = "ElastiCache auth token (16 to 128 printable characters)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.redis_auth_token) >= 16 && length(var.redis_auth_token) <= 128
    error_message = "An ElastiCache auth token has 16 to 128 characters."
  }
}

variable "tls_cert_pem" {
  type = string
}

variable "tls_key_pem" {
  type      = string
  sensitive = true
}

variable "release_sequence" {
  description = "Pins the release every node installs (the seed's ReleaseSequence); 0 takes the checkout's."
  type        = number
  default     = 0
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
