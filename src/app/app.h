/* app.h — the services every domain reaches through a request: settings, store, blobs,
 * keyring, bus, and the hooks the wiring file fills in so a lower layer can call a higher domain
 * (authentication lives in tokens/, but every handler needs it). Created once in main. */
#ifndef STRATA_APP_H
#define STRATA_APP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct settings;
struct store;
struct blob_store;
struct keyring;
struct bus;
struct arena;
struct principal;
struct ctx;
struct node_cache;

struct app {
    const struct settings *settings;
    struct store *store;
    struct blob_store *blobs;
    struct keyring *keyring;
    struct bus *bus;               /* job queue and live logs: in process, or Redis for a cluster */
    struct node_cache *principals; /* tokens resolved lately (app/principal_cache.h) */
    struct node_cache *workspace_cache; /* workspaces/ rows read lately (app/node_cache.h) */
    const char *hostname;               /* "host[:port]" from the settings */
    const char *node_name;              /* this node in the cluster: "<host name>:<https port>" */
    int64_t started_at;
    struct health_monitor *health; /* meta/: the dependencies' latest probes (meta/meta.h) */
    atomic_bool draining;          /* cluster/: asked to drain, so the runner claims no new job */
    atomic_bool stopping;          /* SIGTERM: health answers 503 so balancers take the node out */
    /* tokens/: resolves a bearer token into *p (arena memory); ERR_UNAUTHORIZED when unknown */
    int (*authenticate)(struct app *app, struct arena *a, const char *token, struct principal *p);
    /* web/: resolves a browser session (its cookie's value) into *p and the session's CSRF
     * token (arena memory); ERR_UNAUTHORIZED when unknown or expired */
    int (*authenticate_session)(struct app *app, struct arena *a, const char *session,
                                struct principal *p, const char **csrf);
    /* runner/: sets *known when a workspace may pin version: "latest", the node's own terraform
     * or one a site admin registered and enabled (0 or ERR_*); unset: every version is taken */
    int (*terraform_version_known)(struct ctx *c, const char *version, bool *known);
};

#endif
