/* download.c — fetches a registered terraform version once (libcurl: https, http or file),
 * checks its SHA-256 while it streams to disk, unpacks the binary from a release zip
 * (libarchive), and caches it under disk_path/tools/terraform/<version>/. */
#include "runner/runner_int.h"
#include "app/settings.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Caps: the download, and the release zip's entries and unpacked binary (a zip bomb stops). */
enum { MAX_DOWNLOAD = 512 * 1024 * 1024, MAX_ZIP_ENTRIES = 100, MAX_BINARY = 1024 * 1024 * 1024 };

struct sink {
    FILE *f;
    EVP_MD_CTX *sha;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    EVP_DigestUpdate(s->sha, p, size * n);
    return fwrite(p, size, n, s->f) * size;
}

/* Writes the "terraform" entry of the zip at src to dst. */
static int unzip_binary(const char *src, const char *dst, char *why, size_t whylen)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_zip(a);
    int rc = ERR_NOT_FOUND;
    if (archive_read_open_filename(a, src, 65536) == ARCHIVE_OK) {
        struct archive_entry *e;
        int entries = 0;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
            if (++entries > MAX_ZIP_ENTRIES) {
                snprintf(why, whylen, "the zip has more than %d entries", MAX_ZIP_ENTRIES);
                rc = ERR_INVALID;
                break;
            }
            if (strcmp(archive_entry_pathname(e), "terraform") != 0) continue;
            FILE *out = fopen(dst, "wb");
            const void *buf;
            size_t n;
            la_int64_t off, total = 0;
            rc = out ? 0 : ERR_IO;
            while (!rc && archive_read_data_block(a, &buf, &n, &off) == ARCHIVE_OK) {
                if ((total += (la_int64_t)n) > MAX_BINARY) {
                    snprintf(why, whylen, "the zip's binary unpacks to more than %d bytes",
                             MAX_BINARY);
                    rc = ERR_INVALID;
                } else if (n && fwrite(buf, 1, n, out) != n) {
                    rc = ERR_IO;
                }
            }
            if (out && fclose(out) != 0) rc = ERR_IO;
            break;
        }
    }
    archive_read_free(a);
    if (rc == ERR_NOT_FOUND) snprintf(why, whylen, "the zip has no \"terraform\" binary");
    return rc;
}

int terraform_download(struct ctx *c, const char *version, const char *url, const char *sha,
                       const char **path, char *why, size_t whylen)
{
    const char *dir = arena_printf(c->a, "%s/tools/terraform/%s",
                                   settings_str(c->app->settings, SETTING_DISK_PATH), version);
    *path = arena_printf(c->a, "%s/terraform", dir);
    if (access(*path, X_OK) == 0) return 0;
    fs_mkdirs(dir); /* runs execute the binary by descriptor: no path through it is needed */
    char rnd[9];
    codec_random_base62(rnd, 8);
    const char *tmp = arena_printf(c->a, "%s/download-%s", dir, rnd);
    const char *bin = arena_printf(c->a, "%s/terraform-%s", dir, rnd);
    struct sink s = {fopen(tmp, "wb"), EVP_MD_CTX_new()};
    if (!s.f || !s.sha) {
        if (s.f) fclose(s.f);
        EVP_MD_CTX_free(s.sha);
        snprintf(why, whylen, "cannot write under %s", dir);
        return ERR_IO;
    }
    EVP_DigestInit_ex(s.sha, EVP_sha256(), 0);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http,file");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_DOWNLOAD);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    int rc = fclose(s.f) == 0 ? 0 : ERR_IO;
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(s.sha, md, &mdlen);
    EVP_MD_CTX_free(s.sha);
    if (cc != CURLE_OK) {
        snprintf(why, whylen, "download of terraform %s from %s failed: %s", version, url,
                 curl_easy_strerror(cc));
        rc = ERR_NOT_FOUND;
    } else if (!rc && strcasecmp(codec_hex(c->a, md, mdlen), sha) != 0) {
        snprintf(why, whylen, "terraform %s from %s has SHA-256 %s, not the registered %s", version,
                 url, codec_hex(c->a, md, mdlen), sha);
        rc = ERR_NOT_FOUND;
    }
    if (!rc) {
        FILE *f = fopen(tmp, "rb");
        char magic[4] = {0};
        bool zip = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "PK\x03\x04", 4) == 0;
        if (f) fclose(f);
        rc = zip ? unzip_binary(tmp, bin, why, whylen) : rename(tmp, bin) ? ERR_IO : 0;
    }
    if (!rc && (chmod(bin, 0755) != 0 || rename(bin, *path) != 0)) rc = ERR_IO;
    unlink(tmp);
    unlink(bin);
    if (rc == ERR_IO && !why[0]) snprintf(why, whylen, "cannot store terraform under %s", dir);
    if (!rc) log_info("runner: terraform %s cached from %s", version, url);
    return rc ? ERR_NOT_FOUND : 0;
}
