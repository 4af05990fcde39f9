/* pack.h — optional texts packed one after another into bytes (what the node caches keep): a
 * byte 1, the text and its NUL; or a byte 0 for NULL. */
#ifndef STRATA_PACK_H
#define STRATA_PACK_H

#include <stdbool.h>
#include <stddef.h>

/* The bytes s takes packed. */
size_t pack_size(const char *s);
/* Packs s at p (pack_size(s) bytes); returns the end. */
char *pack_text(char *p, const char *s);
/* Unpacks the text at *p (before end) into *s, pointing into the bytes, and moves *p past it;
 * false when the bytes end first. */
bool unpack_text(const char **p, const char *end, const char **s);

#endif
