/* store_int.h — what a backend shares with the wrappers in store.c. */
#ifndef STRATA_STORE_INT_H
#define STRATA_STORE_INT_H

#include "store/store.h"

/* Wraps an opened backend connection; takes ownership of conn. */
struct store *store_wrap(const struct store_backend *backend, void *conn);

extern const struct store_backend store_sqlite_backend;

#endif
