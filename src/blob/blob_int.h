/* blob_int.h — shared between the sealing wrapper and the backends. */
#ifndef STRATA_BLOB_INT_H
#define STRATA_BLOB_INT_H

#include "blob/blob.h"

#include <stdbool.h>

/* Wraps a backend; takes ownership of impl. */
struct blob_store *blob_wrap(const struct blob_backend *b, void *impl, const struct keyring *k);
bool blob_key_valid(const char *key);

extern const struct blob_backend blob_disk_backend;

#endif
