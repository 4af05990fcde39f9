/* tls.h — the server's TLS context, and the self-signed certificate a node makes for itself
 * when none is configured. */
#ifndef STRATA_TLS_H
#define STRATA_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/* TLS 1.2+ server context from PEM files; NULL with a message in err. */
SSL_CTX *tls_server_ctx(const char *cert_file, const char *key_file, char *err, size_t errlen);

/* Writes a self-signed certificate (P-256, valid ten years, SANs: the host part of hostname,
 * localhost, 127.0.0.1, ::1) to cert_file and its key to key_file, unless both exist already.
 * Returns 0 or ERR_IO with a message in err. */
int tls_ensure_self_signed(const char *cert_file, const char *key_file, const char *hostname,
                           char *err, size_t errlen);

#endif
