/* audit_trail.c — the audit trail as TFE's audit trails API shows it
 * (developer.hashicorp.com/terraform/cloud-docs/api-docs/audit-trails): one object per change
 * with who (auth), which request, and what (resource), paged with a top-level "pagination".
 * Strata adds the request's address (request.address). */
#include "admin/admin.h"
#include "app/api.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static json_t *nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *encode(const struct store_result *r, size_t i)
{
    const char *kind = store_cell(r, i, 3);
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:o, s:o, s:s, s:n, s:o, s:s}, s:{s:o, s:o}, "
                     "s:{s:o, s:s, s:s, s:n}}",
                     "id", store_cell(r, i, 0), "version", "0", "type", "Resource", "timestamp",
                     store_cell(r, i, 2), "auth", "accessor_id", nullable(store_cell(r, i, 4)),
                     "description", nullable(store_cell(r, i, 5)), "type",
                     strcmp(kind, "organization") == 0 ? "Organization" : "Client",
                     "impersonator_id", "organization_id", nullable(store_cell(r, i, 1)),
                     "accessor_type", kind, "request", "id", nullable(store_cell(r, i, 7)),
                     "address", nullable(store_cell(r, i, 6)), "resource", "id",
                     nullable(store_cell(r, i, 9)), "type", store_cell(r, i, 8), "action",
                     store_cell(r, i, 10), "meta");
}

int audit_trail_read(struct ctx *c, const char *org_id, const char *since, int64_t number,
                     int64_t size, json_t **out, int64_t *total)
{
    const char *where = "($1 = '' OR organization = $1) AND at >= $2";
    struct store_result cnt, rows;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a, "SELECT COUNT(*) FROM audit_events WHERE %s", where),
                         S_ARGS(S_TEXT(org_id ? org_id : ""), S_TEXT(since ? since : "")), &cnt);
    if (!rc)
        rc = store_query(c->app->store, c->a,
                         arena_printf(c->a,
                                      "SELECT id, organization, at, accessor_kind, accessor_id, "
                                      "accessor_name, remote_addr, request_id, resource_type, "
                                      "resource_id, action FROM audit_events WHERE %s "
                                      "ORDER BY at, id LIMIT $3 OFFSET $4",
                                      where),
                         S_ARGS(S_TEXT(org_id ? org_id : ""), S_TEXT(since ? since : ""),
                                S_INT(size), S_INT((number - 1) * size)),
                         &rows);
    if (rc) return rc;
    *out = json_array();
    for (size_t i = 0; i < rows.nrows; i++)
        json_array_append_new(*out, encode(&rows, i));
    *total = store_cell_int(&cnt, 0, 0);
    return 0;
}

/* page[number] >= 1 and page[size] 1..1000 (TFE's default and cap are 1000); the offset they
 * make must fit in 64 bits. */
static int page_of(struct ctx *c, int64_t *number, int64_t *size)
{
    int64_t offset;
    int rc = query_int(c, "page[number]", 1, INT64_MAX, 1, number);
    if (!rc) rc = query_int(c, "page[size]", 1, 1000, 1000, size);
    if (!rc && __builtin_mul_overflow(*number - 1, *size, &offset))
        rc =
            ctx_fail(c, ERR_INVALID, "page[number] %lld is beyond any listing", (long long)*number);
    return rc ? ERR_BAD_REQUEST : 0; /* this API has always answered 400 here */
}

static void respond(struct ctx *c, const char *org)
{
    int64_t number = 1, size = 1000, total = 0;
    const char *since = http_req_query(c->req, "since");
    int64_t t;
    json_t *data = 0;
    struct store_result ext;
    int rc = page_of(c, &number, &size);
    if (!rc && since && !codec_parse_iso(since, &t))
        rc = ctx_fail(c, ERR_BAD_REQUEST, "since must be an ISO-8601 time");
    if (!rc && since) since = codec_iso_of_unix(c->a, t); /* the stored form, to compare as text */
    if (!rc)
        rc = store_query(c->app->store, c->a,
                         "SELECT external_id FROM organizations WHERE name = $1",
                         S_ARGS(S_TEXT(org)), &ext);
    if (!rc && !ext.nrows) rc = ctx_fail(c, ERR_NOT_FOUND, "organization not found");
    if (!rc) rc = audit_trail_read(c, store_cell(&ext, 0, 0), since, number, size, &data, &total);
    if (rc) return api_fail(c, rc);
    int64_t pages = (total + size - 1) / size;
    json_t *doc = json_pack("{s:o, s:{s:I, s:o, s:o, s:I, s:I}}", "data", data, "pagination",
                            "current_page", (json_int_t)number, "prev_page",
                            number > 1 ? json_integer(number - 1) : json_null(), "next_page",
                            number < pages ? json_integer(number + 1) : json_null(), "total_pages",
                            (json_int_t)pages, "total_count", (json_int_t)total);
    jsonapi_respond(c->req, 200, doc);
}

static void for_token(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    if (c.who.kind != PRINCIPAL_ORG)
        return api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND,
                                     "the audit trail is read with an organization token, or "
                                     "by owners at /api/v2/organizations/:name/audit-trail"));
    respond(&c, c.who.org);
}

static void for_org(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    int rc = authz_org_need(&c, org, ORG_OWNER);
    if (rc) return api_fail(&c, rc);
    respond(&c, org);
}

const struct http_route audit_trail_routes[] = {
    {HTTP_M_GET, "/api/v2/organization/audit-trail", for_token, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:org/audit-trail", for_org, 0, 0},
    {0, 0, 0, 0, 0},
};
