# Strata active/active on AWS, the seed's architecture: an auto scaling group of identical nodes
# behind a network load balancer, RDS PostgreSQL, an S3 bucket and ElastiCache Redis with TLS
# and an auth token (the seed's appendix 1). Start with node_count = 1, validate with runs, then
# 2 and 3 (deploy/README.md walks the steps).
terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

locals {
  name = "strata"
  settings = templatefile("${path.module}/../templates/ptfe-settings.json.tpl", {
    hostname             = var.hostname
    enc_password         = var.enc_password
    pg_netloc            = aws_db_instance.strata.endpoint
    pg_dbname            = aws_db_instance.strata.db_name
    pg_user              = aws_db_instance.strata.username
    pg_password          = var.db_password
    s3_bucket            = aws_s3_bucket.strata.id
    s3_region            = var.region
    s3_endpoint          = ""
    s3_access_key_id     = aws_iam_access_key.strata.id
    s3_secret_access_key = aws_iam_access_key.strata.secret
    s3_sse               = "AES256"
    redis_host           = aws_elasticache_replication_group.strata.primary_endpoint_address
    redis_port           = "6379"
    redis_password       = var.redis_auth_token
    redis_ca_cert        = ""
    trusted_proxies      = var.trusted_proxies
  })
  replicated_conf = templatefile("${path.module}/../templates/replicated.conf.tpl", {
    release_sequence = var.release_sequence
  })
}

resource "aws_security_group" "nodes" {
  name_prefix = "${local.name}-nodes-"
  vpc_id      = var.vpc_id
  ingress {
    description = "HTTPS from the load balancer and clients (NLB keeps client addresses)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = var.client_cidrs
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "services" {
  name_prefix = "${local.name}-services-"
  vpc_id      = var.vpc_id
  ingress {
    description     = "PostgreSQL from the nodes"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.nodes.id]
  }
  ingress {
    description     = "Redis from the nodes"
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    security_groups = [aws_security_group.nodes.id]
  }
}

resource "aws_db_subnet_group" "strata" {
  name_prefix = local.name
  subnet_ids  = var.private_subnet_ids
}

resource "aws_db_instance" "strata" {
  identifier_prefix         = local.name
  engine                    = "postgres"
  engine_version            = "15"
  instance_class            = var.db_instance_class
  allocated_storage         = 50
  storage_encrypted         = true
  db_name                   = "strata"
  username                  = "strata"
  password                  = var.db_password
  multi_az                  = true
  db_subnet_group_name      = aws_db_subnet_group.strata.name
  vpc_security_group_ids    = [aws_security_group.services.id]
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.name}-final"
}

resource "aws_s3_bucket" "strata" {
  bucket_prefix = local.name
}

resource "aws_s3_bucket_public_access_block" "strata" {
  bucket                  = aws_s3_bucket.strata.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "strata" {
  bucket = aws_s3_bucket.strata.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Strata signs its S3 requests with an access key (settings aws_access_key_id and
# aws_secret_access_key); this user may touch the bucket and nothing else.
resource "aws_iam_user" "strata" {
  name = "${local.name}-objects"
}

resource "aws_iam_access_key" "strata" {
  user = aws_iam_user.strata.name
}

resource "aws_iam_user_policy" "strata" {
  user = aws_iam_user.strata.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:AbortMultipartUpload"]
      Resource = [aws_s3_bucket.strata.arn, "${aws_s3_bucket.strata.arn}/*"]
    }]
  })
}

resource "aws_elasticache_subnet_group" "strata" {
  name       = local.name
  subnet_ids = var.private_subnet_ids
}

# The seed's appendix 1: in-transit encryption and an auth token (redis_use_tls,
# redis_use_password_auth, redis_pass); Strata refuses Redis Cluster, so cluster mode stays off.
resource "aws_elasticache_replication_group" "strata" {
  replication_group_id       = local.name
  description                = "Strata API cache and job queue"
  engine                     = "redis"
  engine_version             = "7.0"
  node_type                  = var.redis_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  port                       = 6379
  transit_encryption_enabled = true
  at_rest_encryption_enabled = true
  auth_token                 = var.redis_auth_token
  subnet_group_name          = aws_elasticache_subnet_group.strata.name
  security_group_ids         = [aws_security_group.services.id]
}

resource "aws_lb" "strata" {
  name_prefix        = "strata"
  load_balancer_type = "network"
  subnets            = var.public_subnet_ids
}

# TCP passthrough: nodes terminate TLS; the balancer asks each node's /_health_check.
resource "aws_lb_target_group" "strata" {
  name_prefix = "strata"
  port        = 443
  protocol    = "TCP"
  vpc_id      = var.vpc_id
  health_check {
    protocol            = "HTTPS"
    path                = "/_health_check"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "strata" {
  load_balancer_arn = aws_lb.strata.arn
  port              = 443
  protocol          = "TCP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.strata.arn
  }
}

resource "aws_launch_template" "strata" {
  name_prefix            = local.name
  image_id               = var.debian12_ami_id
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.nodes.id]
  metadata_options {
    http_tokens = "required"
  }
  user_data = base64encode(templatefile("${path.module}/../templates/user-data.sh.tpl", {
    settings          = local.settings
    replicated_conf   = local.replicated_conf
    tls_cert          = var.tls_cert_pem
    tls_key           = var.tls_key_pem
    redis_ca_cert     = ""
    terraform_version = var.terraform_version
    strata_repository = var.strata_repository
    strata_ref        = var.strata_ref
  }))
}

resource "aws_autoscaling_group" "strata" {
  name_prefix               = local.name
  min_size                  = var.node_count
  max_size                  = var.node_count
  desired_capacity          = var.node_count
  vpc_zone_identifier       = var.private_subnet_ids
  target_group_arns         = [aws_lb_target_group.strata.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 300
  launch_template {
    id      = aws_launch_template.strata.id
    version = aws_launch_template.strata.latest_version
  }
}

output "url" {
  value = "https://${var.hostname}"
}

output "load_balancer_dns_name" {
  description = "Point the hostname's DNS record here."
  value       = aws_lb.strata.dns_name
}
