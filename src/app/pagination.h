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

/* Reads page[number] and page[size] from the query; ERR_INVALID for values that are not
 * positive integers. */
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
