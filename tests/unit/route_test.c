/* route_test.c — path patterns, the JSON:API builders and the error table. */
#include "base/arena.h"
#include "base/err.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"

#include <criterion/criterion.h>
#include <stdlib.h>

Test(route, matches_params_and_rejects_others)
{
    struct arena *a = arena_new();
    const char *names[8], *values[8];
    int n;
    cr_assert(http_route_match("/api/v2/workspaces/:id/actions/lock",
                               "/api/v2/workspaces/ws-123/actions/lock", a, names, values, &n));
    cr_assert_eq(n, 1);
    cr_assert_str_eq(names[0], "id");
    cr_assert_str_eq(values[0], "ws-123");
    cr_assert(http_route_match("/api/v2/ping", "/api/v2/ping/", a, names, values, &n));
    cr_assert_not(
        http_route_match("/api/v2/workspaces/:id", "/api/v2/workspaces/", a, names, values, &n));
    cr_assert_not(
        http_route_match("/api/v2/workspaces/:id", "/api/v2/workspaces/a/b", a, names, values, &n));
    cr_assert_not(http_route_match("/api/v2/organizations/:org/workspaces",
                                   "/api/v2/organizations/acme/teams", a, names, values, &n));
    cr_assert(http_route_match("/a/:x/b/:y", "/a/1/b/2", a, names, values, &n));
    cr_assert_eq(n, 2);
    cr_assert_str_eq(values[1], "2");
    arena_free(a);
}

Test(jsonapi, resources_and_relationships)
{
    json_t *o = jsonapi_resource_new(
        "workspaces", "ws-1", json_pack("{s:s}", "name", "w"),
        json_pack("{s:o}", "organization", jsonapi_rel_new("organizations", "acme")),
        "/api/v2/workspaces/ws-1");
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(text, "{\"attributes\":{\"name\":\"w\"},\"id\":\"ws-1\",\"links\":{\"self\":"
                           "\"/api/v2/workspaces/ws-1\"},\"relationships\":{\"organization\":"
                           "{\"data\":{\"id\":\"acme\",\"type\":\"organizations\"}}},"
                           "\"type\":\"workspaces\"}");
    free(text);
    json_decref(o);
    json_t *none = jsonapi_rel_new("state-versions", NULL);
    cr_assert(json_is_null(json_object_get(none, "data")));
    json_decref(none);
}

Test(err, table_maps_codes_to_statuses)
{
    cr_assert_eq(err_http_status(ERR_NOT_FOUND), 404);
    cr_assert_eq(err_http_status(ERR_CONFLICT), 409);
    cr_assert_eq(err_http_status(ERR_INVALID), 422);
    cr_assert_eq(err_http_status(ERR_TOO_LARGE), 413);
    cr_assert_eq(err_http_status(-9999), 500);
    cr_assert_str_eq(err_title(ERR_UNAUTHORIZED), "unauthorized");
    cr_assert_str_eq(err_name(ERR_CRYPTO), "ERR_CRYPTO");
    cr_assert(ERR_BAD_REQUEST < 0);
}

Test(arena, allocations_and_cleanups)
{
    struct arena *a = arena_new();
    char *big = arena_alloc(a, 100000);
    big[99999] = 1;
    char *s = arena_printf(a, "%s-%d", "x", 42);
    cr_assert_str_eq(s, "x-42");
    arena_on_free(a, (void (*)(void *))free, malloc(10));
    arena_free(a); /* LeakSanitizer in the test build checks the cleanup ran */
}
