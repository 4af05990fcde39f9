/* openpgp.c — the key id TFE shows for a GPG public key: the low 64 bits of the v4 fingerprint
 * (RFC 4880 §12.2: SHA-1 of 0x99, the two-byte length and the public-key packet's body). Only
 * the armor and the first packet's header are read; terraform itself verifies signatures with
 * the whole key, which is stored and served as given. */
#include "registry/registry_int.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"

#include <openssl/evp.h>
#include <string.h>

/* The base64 body of an ASCII-armored public key block: the lines after the armor headers (and
 * the empty line that ends them) up to the CRC-24 line or the end line. */
static char *armor_body(struct arena *a, const char *armor)
{
    const char *begin = strstr(armor, "-----BEGIN PGP PUBLIC KEY BLOCK-----");
    if (!begin) return 0;
    char *copy = arena_strdup(a, begin), *save = 0;
    char *out = arena_alloc(a, strlen(copy) + 1), *q = out;
    bool body = false;
    strtok_r(copy, "\n", &save); /* the BEGIN line */
    for (char *line = strtok_r(0, "\n", &save); line; line = strtok_r(0, "\n", &save)) {
        line[strcspn(line, "\r")] = 0;
        if (!strncmp(line, "-----END", 8) || (body && line[0] == '=')) break;
        if (!body && strchr(line, ':')) continue; /* an armor header */
        body = true;
        for (char *p = line; *p; p++)
            if (*p != ' ' && *p != '\t') *q++ = *p;
    }
    *q = 0;
    return out;
}

int openpgp_key_id(struct arena *a, const char *armor, const char **key_id)
{
    char *b64 = armor ? armor_body(a, armor) : 0;
    unsigned char *k;
    size_t n;
    if (!b64 || codec_base64_decode(a, b64, false, &k, &n) || n < 8) return ERR_INVALID;
    size_t hdr, len;
    if (!(k[0] & 0x80)) return ERR_INVALID;
    if (k[0] & 0x40) { /* new format */
        if ((k[0] & 0x3f) != 6) return ERR_INVALID;
        if (k[1] < 192) {
            hdr = 2, len = k[1];
        } else if (k[1] < 224) {
            hdr = 3, len = ((size_t)(k[1] - 192) << 8) + k[2] + 192;
        } else if (k[1] == 255) {
            hdr = 6, len = ((size_t)k[2] << 24) | ((size_t)k[3] << 16) | ((size_t)k[4] << 8) | k[5];
        } else {
            return ERR_INVALID;
        }
    } else { /* old format */
        if (((k[0] >> 2) & 0xf) != 6) return ERR_INVALID;
        int lt = k[0] & 3;
        if (lt == 3) return ERR_INVALID;
        hdr = 1 + (1u << lt);
        len = 0;
        for (size_t i = 1; i < hdr; i++)
            len = (len << 8) | k[i];
    }
    if (hdr + len > n || len < 1 || len > 0xffff || k[hdr] != 4) return ERR_INVALID; /* v4 only */
    unsigned char prefix[3] = {0x99, (unsigned char)(len >> 8), (unsigned char)len};
    unsigned char fp[EVP_MAX_MD_SIZE];
    unsigned int fplen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), 0) && EVP_DigestUpdate(md, prefix, 3) &&
             EVP_DigestUpdate(md, k + hdr, len) && EVP_DigestFinal_ex(md, fp, &fplen);
    EVP_MD_CTX_free(md);
    if (!ok || fplen != 20) return ERR_INTERNAL;
    char *hex = arena_alloc(a, 17);
    for (int i = 0; i < 8; i++)
        snprintf(hex + i * 2, 3, "%02X", fp[12 + i]);
    *key_id = hex;
    return 0;
}
