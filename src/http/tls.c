/* tls.c — OpenSSL set-up: server context and certificate generation. */
#include "http/tls.h"
#include "base/err.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

SSL_CTX *tls_server_ctx(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "tls: cannot create a context");
        return 0;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        snprintf(err, errlen, "setting \"tls_cert_file\": cannot load a PEM certificate from %s",
                 cert_file);
        SSL_CTX_free(ctx);
        return 0;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen,
                 "setting \"tls_key_file\": cannot load a PEM private key matching "
                 "the certificate from %s",
                 key_file);
        SSL_CTX_free(ctx);
        return 0;
    }
    ERR_clear_error();
    return ctx;
}

static int add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, 0, 0, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(0, &v3, nid, value);
    if (!ex) return -1;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

int tls_ensure_self_signed(const char *cert_file, const char *key_file, const char *hostname,
                           char *err, size_t errlen)
{
    if (access(cert_file, R_OK) == 0 && access(key_file, R_OK) == 0) return 0;
    char host[256];
    snprintf(host, sizeof host, "%s", hostname);
    char *colon = strrchr(host, ':');
    if (colon && !strchr(host, ']')) *colon = 0; /* drop :port */
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    int rc = ERR_IO;
    if (!key || !cert) goto out;
    X509_set_version(cert, 2);
    unsigned char serial[16];
    FILE *ur = fopen("/dev/urandom", "rb");
    if (!ur || fread(serial, 1, sizeof serial, ur) != sizeof serial) {
        if (ur) fclose(ur);
        goto out;
    }
    fclose(ur);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, 0);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Strata", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    char san[512];
    bool is_ip = strspn(host, "0123456789.") == strlen(host) || strchr(host, ':');
    snprintf(san, sizeof san, "%s:%s,DNS:localhost,IP:127.0.0.1,IP:::1", is_ip ? "IP" : "DNS",
             host);
    if (add_ext(cert, NID_subject_alt_name, san) ||
        add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") ||
        add_ext(cert, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
        add_ext(cert, NID_ext_key_usage, "serverAuth") || !X509_sign(cert, key, EVP_sha256()))
        goto out;
    FILE *kf = fopen(key_file, "wb");
    if (!kf) goto out;
    chmod(key_file, 0600);
    int ok = PEM_write_PrivateKey(kf, key, 0, 0, 0, 0, 0);
    fclose(kf);
    FILE *cf = fopen(cert_file, "wb");
    if (!ok || !cf) {
        if (cf) fclose(cf);
        goto out;
    }
    ok = PEM_write_X509(cf, cert);
    fclose(cf);
    if (ok) rc = 0;
out:
    if (rc) snprintf(err, errlen, "tls: cannot write a self-signed certificate to %s", cert_file);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}
