/* s3_xml.h — the reader of S3's small XML answers (CreateMultipartUpload, ListObjectsV2), apart
 * from blob_s3.c so that fuzz/fuzz_s3_xml.c reaches it. Internal to blob/. */
#ifndef STRATA_S3_XML_H
#define STRATA_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies the text of the first <name>…</name> element of doc (NUL-terminated; NULL answers
 * false) into out, truncated to cap - 1 bytes. False when absent. */
bool s3_xml_text(const char *doc, const char *name, char *out, size_t cap);

/* One page of a ListObjectsV2 answer: fn(arg, key, size) for each <Contents> whose key is
 * Strata's (blob_key_valid; anything else in the bucket is skipped), stopping at fn's first
 * non-zero answer, which it returns; token gets NextContinuationToken ("" on the last page). */
int s3_xml_list_page(const char *doc, int (*fn)(void *arg, const char *key, int64_t size),
                     void *arg, char *token, size_t token_cap);

#endif
