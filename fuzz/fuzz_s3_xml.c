/* fuzz_s3_xml.c — libFuzzer driver for the reader of S3's XML answers (blob/s3_xml.c): a
 * ListObjectsV2 page and CreateMultipartUpload's UploadId, as an S3-compatible server (or
 * whoever answers in its place) may send them. */
#include "blob/s3_xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int count(void *arg, const char *key, int64_t size)
{
    (void)key;
    (void)size;
    return ++*(int *)arg > 1000; /* a page of many keys stops the walk, as a callback may */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *doc = malloc(size + 1);
    if (!doc) abort();
    memcpy(doc, data, size);
    doc[size] = 0;
    char token[1024], upload_id[256];
    int n = 0;
    s3_xml_list_page(doc, count, &n, token, sizeof token);
    s3_xml_text(doc, "UploadId", upload_id, sizeof upload_id);
    free(doc);
    return 0;
}
