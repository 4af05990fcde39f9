/* pagination.h — TFE's page[number]/page[size] and the meta/links it answers with. */
#ifndef STRATA_PAGINATION_H
#define STRATA_PAGINATION_H

#include <jansson.h>
#include <stdint.h>

struct ctx;

struct page {
    int64_t number, size; /* 1-based page; 1..100 items (default 20) */
    int64_t offset;       /* (number - 1) * size */
};

/* The one reader of numeric query parameters: the decimal integer in the query parameter name,
 * within min..max; def when it is absent or empty. Anything else (junk, a fraction, out of
 * range, beyond 64 bits) is ERR_INVALID with a detail naming the parameter and its range. */
int query_int(struct ctx *c, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out);

/* Reads page[number] (1 or more, default 1) and page[size] (1 or more, default 20; above 100
 * read as 100, TFE's cap) from the query; ERR_INVALID for other values, and for a page whose
 * offset does not fit in 64 bits. */
int page_parse(struct ctx *c, struct page *p);
/* Adds "meta":{"pagination":{...}} and "links":{self,first,prev,next,last} to doc for a
 * listing at path with total items. */
void page_annotate(struct ctx *c, json_t *doc, const char *path, const struct page *p,
                   int64_t total);

/* Answers a short listing held whole (a workspace's variables, a user's tokens) one page at a
 * time: the page's slice of all (stolen), meta and links, status 200. Returns 0, or ERR_INVALID
 * for bad page parameters (nothing sent; all freed). */
int page_respond_all(struct ctx *c, json_t *all, const char *path);

#endif
