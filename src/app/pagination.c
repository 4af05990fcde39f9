/* pagination.c — page parsing and the pagination block TFE's clients read. */
#include "app/pagination.h"
#include "app/api.h"
#include "base/arena.h"
#include "base/err.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int query_int(struct ctx *c, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out)
{
    const char *v = http_req_query(c->req, name);
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    /* digits with an optional minus: strtoll alone would also take spaces and a plus */
    const char *d = v + (*v == '-');
    char *end = 0;
    errno = 0;
    long long n = isdigit((unsigned char)*d) ? strtoll(v, &end, 10) : 0;
    if (!end || *end || errno == ERANGE || n < min || n > max) {
        if (max == INT64_MAX)
            return ctx_fail(c, ERR_INVALID, "%s must be an integer of at least %lld", name,
                            (long long)min);
        return ctx_fail(c, ERR_INVALID, "%s must be an integer from %lld to %lld", name,
                        (long long)min, (long long)max);
    }
    *out = n;
    return 0;
}

enum { PAGE_SIZE_DEFAULT = 20, PAGE_SIZE_MAX = 100 };

int page_parse(struct ctx *c, struct page *p)
{
    int rc = query_int(c, "page[number]", 1, INT64_MAX, 1, &p->number);
    if (!rc) rc = query_int(c, "page[size]", 1, INT64_MAX, PAGE_SIZE_DEFAULT, &p->size);
    if (rc) return rc;
    if (p->size > PAGE_SIZE_MAX) p->size = PAGE_SIZE_MAX; /* as TFE: larger asks get its cap */
    if (__builtin_mul_overflow(p->number - 1, p->size, &p->offset))
        return ctx_fail(c, ERR_INVALID, "page[number] %lld is beyond any listing",
                        (long long)p->number);
    return 0;
}

static json_t *page_or_null(int64_t n)
{
    return n > 0 ? json_integer(n) : json_null();
}

static json_t *link(struct ctx *c, const char *path, int64_t number, int64_t size)
{
    return json_string(
        api_url(c, arena_printf(c->a, "%s?page%%5Bnumber%%5D=%lld&page%%5Bsize%%5D=%lld", path,
                                (long long)number, (long long)size)));
}

void page_annotate(struct ctx *c, json_t *doc, const char *path, const struct page *p,
                   int64_t total)
{
    int64_t pages = total == 0 ? 1 : (total + p->size - 1) / p->size;
    int64_t prev = p->number > 1 ? p->number - 1 : 0;
    int64_t next = p->number < pages ? p->number + 1 : 0;
    json_t *pg = json_pack("{s:I, s:I, s:o, s:o, s:I, s:I}", "current-page", (json_int_t)p->number,
                           "page-size", (json_int_t)p->size, "prev-page", page_or_null(prev),
                           "next-page", page_or_null(next), "total-pages", (json_int_t)pages,
                           "total-count", (json_int_t)total);
    json_object_set_new(doc, "meta", json_pack("{s:o}", "pagination", pg));
    json_t *links = json_object();
    json_object_set_new(links, "self", link(c, path, p->number, p->size));
    json_object_set_new(links, "first", link(c, path, 1, p->size));
    json_object_set_new(links, "prev", prev ? link(c, path, prev, p->size) : json_null());
    json_object_set_new(links, "next", next ? link(c, path, next, p->size) : json_null());
    json_object_set_new(links, "last", link(c, path, pages, p->size));
    json_object_set_new(doc, "links", links);
}

int page_respond_all(struct ctx *c, json_t *all, const char *path)
{
    struct page p;
    int rc = page_parse(c, &p);
    if (rc) {
        json_decref(all);
        return rc;
    }
    int64_t total = (int64_t)json_array_size(all);
    json_t *data = json_array();
    for (int64_t i = p.offset; i < total && i < p.offset + p.size; i++)
        json_array_append(data, json_array_get(all, (size_t)i));
    json_decref(all);
    json_t *doc = jsonapi_doc_new(data);
    page_annotate(c, doc, path, &p, total);
    jsonapi_respond(c->req, 200, doc);
    return 0;
}
