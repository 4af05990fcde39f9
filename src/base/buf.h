/* buf.h — a growable byte buffer with a hard cap, for bodies that are small by contract. */
#ifndef STRATA_BUF_H
#define STRATA_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* malloc'd, NUL-terminated when non-empty; owned by the buf */
    size_t len, cap, max;
};

/* max: the most bytes the buffer may ever hold (0 = unbounded). */
void buf_init(struct buf *b, size_t max);
/* Appends n bytes; ERR_TOO_LARGE when the cap would be exceeded (nothing appended). */
int buf_append(struct buf *b, const void *p, size_t n);
/* Appends formatted text (a line of up to 1 KiB); ERR_TOO_LARGE as buf_append. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_release(struct buf *b);

#endif
