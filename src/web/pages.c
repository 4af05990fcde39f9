/* pages.c — the web UI's files: one page (index.html) for every /app/… address (the script
 * draws the page the address names, so the run URLs terraform prints open in the UI) and the
 * assets it loads, all built into the binary. A content security policy allows only this
 * site's own scripts and styles (no inline script, no other origin): a value that slipped
 * through escaping still could not run. */
#include "web/web.h"
#include "app/api.h"
#include "base/err.h"
#include "http/http.h"

#include <string.h>

struct web_asset {
    const char *name, *type;
    const unsigned char *data;
    size_t len;
};
extern const struct web_asset web_assets[]; /* web_assets_gen.c, from src/web/assets */

static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                          "frame-ancestors 'none'; base-uri 'none'";

static void send(struct http_request *r, const char *name)
{
    for (const struct web_asset *a = web_assets; a->name; a++) {
        if (strcmp(a->name, name) != 0) continue;
        http_set_header(r, "Content-Security-Policy", CSP);
        http_set_header(r, "X-Content-Type-Options", "nosniff");
        http_set_header(r, "X-Frame-Options", "DENY");
        http_set_header(r, "Referrer-Policy", "same-origin");
        http_set_header(r, "Cache-Control", "no-cache");
        return http_respond(r, 200, a->type, a->data, a->len);
    }
    struct ctx c;
    api_begin_anonymous(&c, r, 0);
    api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "no such file"));
}

static void page(struct http_request *r, void *app)
{
    (void)app;
    send(r, "index.html");
}

static void asset(struct http_request *r, void *app)
{
    (void)app;
    const char *name = http_req_param(r, "name");
    if (!strcmp(name, "index.html")) name = ""; /* the page has its own addresses */
    send(r, name);
}

static void root(struct http_request *r, void *app)
{
    (void)app;
    http_set_header(r, "Location", "/app");
    http_respond(r, 302, 0, 0, 0);
}

const struct http_route web_routes[] = {
    {HTTP_M_GET, "/", root, 0, 0},
    {HTTP_M_GET, "/app", page, 0, 0},
    {HTTP_M_GET, "/app/:a", page, 0, 0},
    {HTTP_M_GET, "/app/:a/:b", page, 0, 0},
    {HTTP_M_GET, "/app/:a/:b/:c", page, 0, 0},
    {HTTP_M_GET, "/app/:a/:b/:c/:d", page, 0, 0},
    {HTTP_M_GET, "/app/:a/:b/:c/:d/:e", page, 0, 0},
    {HTTP_M_GET, "/app/:a/:b/:c/:d/:e/:f", page, 0, 0},
    {HTTP_M_GET, "/assets/:name", asset, 0, 0},
    {0, 0, 0, 0, 0},
};
