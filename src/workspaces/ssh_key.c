/* ssh_key.c — TFE API: SSH Keys of an organization and their assignment to workspaces
 * (developer.hashicorp.com/terraform/enterprise/api-docs/ssh-keys, and workspaces'
 * relationships/ssh-key). The private key is sealed and never answered; a workspace's runs get
 * it as a file of their own working folder, used by git through GIT_SSH_COMMAND. Managed by
 * those who manage VCS settings; assigned by the workspace's admins. */
#include "workspaces/workspace_int.h"
#include "base/codec.h"
#include "jsonapi/jsonapi.h"
#include "keyring/keyring.h"

/* where a private key is sealed (keyring.h) */
#define SSH_KEY_AT(id) KEYRING_AT("ssh_keys", "sealed_value", (id))

struct ssh_key {
    const char *id, *organization, *name, *created_at, *updated_at;
};

static json_t *encode(struct ctx *c, const struct ssh_key *k)
{
    json_t *attrs = json_pack("{s:s, s:s, s:s}", "name", k->name, "created-at", k->created_at,
                              "updated-at", k->updated_at);
    return jsonapi_resource_new("ssh-keys", k->id, attrs, 0,
                                arena_printf(c->a, "/api/v2/ssh-keys/%s", k->id));
}

static int get(struct ctx *c, const char *id, struct ssh_key *k)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT id, organization, name, created_at, updated_at FROM ssh_keys "
                         "WHERE id = $1",
                         S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    *k = (struct ssh_key){store_cell(&r, 0, 0), store_cell(&r, 0, 1), store_cell(&r, 0, 2),
                          store_cell(&r, 0, 3), store_cell(&r, 0, 4)};
    return 0;
}

/* A key of an organization where the caller holds need (0: any member reads names). */
static int load(struct ctx *c, int64_t need, struct ssh_key *k)
{
    int rc = get(c, http_req_param(c->req, "id"), k);
    if (!rc) rc = authz_org_need(c, k->organization, need);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "ssh key not found") : rc;
}

/* A PEM or OpenSSH private key: what ssh reads. A form check only, for a warning: TFE stores the
 * value as given and ssh judges it when a run uses it. */
static bool looks_private(const char *v)
{
    return strstr(v, "-----BEGIN ") && strstr(v, "PRIVATE KEY-----");
}

/* Reads name and value; *warning says why the value may not work (0 when it looks right). */
static int read_attrs(struct ctx *c, const char **name, const char **value, bool creating,
                      const char **warning)
{
    struct jsonapi_body b;
    int rc = jsonapi_parse(c->req, "ssh-keys", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "name", name, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "value", value, 0);
    if (rc) return ctx_fail_body(c, rc, &b);
    if (!*name || !**name || strlen(*name) > 255)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/name", "name is required");
    if (creating && !*value) *value = "";
    *warning = 0;
    if (*value && strlen(*value) > 64 * 1024)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/value", "value is too long");
    if (*value && !looks_private(*value))
        *warning = "value does not look like a private key (-----BEGIN ... PRIVATE KEY-----); "
                   "ssh will refuse it when a run uses it";
    return 0;
}

/* The key's document; a warning goes in meta, as the value is never refused. */
static void respond(struct ctx *c, int status, const struct ssh_key *k, const char *warning)
{
    json_t *doc = jsonapi_doc_new(encode(c, k));
    if (warning) json_object_set_new(doc, "meta", json_pack("{s:[s]}", "warnings", warning));
    jsonapi_respond(c->req, status, doc);
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org"), *value = 0, *warning = 0;
    struct ssh_key k = {.organization = org};
    int rc = authz_org_need(&c, org, ORG_MANAGE_VCS_SETTINGS);
    if (!rc) rc = read_attrs(&c, &k.name, &value, true, &warning);
    if (!rc) {
        k.id = codec_new_id(c.a, "sshkey");
        k.created_at = k.updated_at = codec_now_iso(c.a);
        const char *sealed =
            keyring_seal_at(c.app->keyring, c.a, SSH_KEY_AT(k.id), value, strlen(value));
        rc = audit_exec(
            &c,
            "INSERT INTO ssh_keys (id, organization, name, sealed_value, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
            S_ARGS(S_TEXT(k.id), S_TEXT(org), S_TEXT(k.name), S_TEXT(sealed), S_TEXT(k.created_at)),
            org, "ssh-key", k.id, "create");
    }
    if (rc) return api_fail(&c, rc);
    respond(&c, 201, &k, warning);
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct store_result res;
    int rc = authz_org_need(&c, org, 0);
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         "SELECT id, organization, name, created_at, updated_at FROM ssh_keys "
                         "WHERE organization = $1 ORDER BY name, id",
                         S_ARGS(S_TEXT(org)), &res);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < res.nrows; i++) {
        struct ssh_key k = {store_cell(&res, i, 0), store_cell(&res, i, 1), store_cell(&res, i, 2),
                            store_cell(&res, i, 3), store_cell(&res, i, 4)};
        json_array_append_new(data, encode(&c, &k));
    }
    rc = page_respond_all(&c, data, arena_printf(c.a, "/api/v2/organizations/%s/ssh-keys", org));
    if (rc) api_fail(&c, rc);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct ssh_key k;
    int rc = load(&c, 0, &k);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &k)));
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct ssh_key k;
    const char *value = 0, *warning = 0;
    int rc = load(&c, ORG_MANAGE_VCS_SETTINGS, &k);
    if (!rc) rc = read_attrs(&c, &k.name, &value, false, &warning);
    if (!rc) {
        k.updated_at = codec_now_iso(c.a);
        const char *sealed =
            value ? keyring_seal_at(c.app->keyring, c.a, SSH_KEY_AT(k.id), value, strlen(value))
                  : 0;
        rc = audit_exec(&c,
                        "UPDATE ssh_keys SET name = $2, updated_at = $3, sealed_value = "
                        "COALESCE($4, sealed_value) WHERE id = $1",
                        S_ARGS(S_TEXT(k.id), S_TEXT(k.name), S_TEXT(k.updated_at), S_TEXT(sealed)),
                        k.organization, "ssh-key", k.id, "update");
    }
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &k, warning);
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct ssh_key k;
    int rc = load(&c, ORG_MANAGE_VCS_SETTINGS, &k);
    if (!rc && !(rc = store_begin(c.app->store))) {
        /* workspaces that used it fetch without a key from now on */
        rc = store_exec(c.app->store,
                        "UPDATE workspaces SET ssh_key_id = NULL WHERE ssh_key_id = $1",
                        S_ARGS(S_TEXT(k.id)), 0);
        workspace_forget(&c, 0);
        if (!rc)
            rc = store_exec(c.app->store, "DELETE FROM ssh_keys WHERE id = $1",
                            S_ARGS(S_TEXT(k.id)), 0);
        rc = audit_end(&c, rc, k.organization, "ssh-key", k.id, "destroy");
    }
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

/* PATCH /workspaces/:id/relationships/ssh-key with data.attributes.id: a key of the
 * workspace's organization, or null to unassign. */
static void assign(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    struct jsonapi_body b;
    const char *id = 0;
    struct ssh_key k;
    /* the key reaches every run of the workspace: its admins assign it, and only those who
     * manage the organization's SSH keys (TFE: "manage VCS settings") */
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_UPDATE, &w);
    if (!rc) rc = authz_org_need(&c, w.organization, ORG_MANAGE_VCS_SETTINGS);
    if (!rc && (rc = jsonapi_parse(r, "workspaces", false, &b))) rc = ctx_fail_body(&c, rc, &b);
    if (!rc && (rc = jsonapi_attr_string(&b, "id", &id, 0))) rc = ctx_fail_body(&c, rc, &b);
    if (!rc && id) {
        rc = get(&c, id, &k);
        if (!rc && strcmp(k.organization, w.organization) != 0) rc = ERR_NOT_FOUND;
        if (rc == ERR_NOT_FOUND)
            rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/id",
                             "ssh key not found in the workspace's organization");
    }
    if (!rc) {
        rc = audit_exec(&c, "UPDATE workspaces SET ssh_key_id = $2 WHERE id = $1",
                        S_ARGS(S_TEXT(w.id), S_TEXT(id)), w.organization, "workspace", w.id,
                        id ? "assign-ssh-key" : "unassign-ssh-key");
        workspace_forget(&c, w.id);
    }
    if (!rc) rc = workspace_get(&c, w.id, WS_READ, &w);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(workspace_encode(&c, &w)));
}

int workspace_ssh_key_for_run(struct ctx *c, const char *workspace_id, const char **pem)
{
    struct store_result r;
    *pem = 0;
    int rc = store_query(c->app->store, c->a,
                         "SELECT k.sealed_value, k.id FROM workspaces w JOIN ssh_keys k ON "
                         "k.id = w.ssh_key_id WHERE w.id = $1",
                         S_ARGS(S_TEXT(workspace_id)), &r);
    if (rc || !r.nrows) return rc;
    unsigned char *plain;
    size_t n;
    if ((rc = keyring_unseal_at(c->app->keyring, c->a, SSH_KEY_AT(store_cell(&r, 0, 1)),
                                store_cell(&r, 0, 0), &plain, &n)))
        return rc;
    *pem = (const char *)plain;
    return 0;
}

const struct http_route ssh_key_routes[] = {
    {HTTP_M_GET, "/api/v2/organizations/:org/ssh-keys", list, 0, 0},
    {HTTP_M_POST, "/api/v2/organizations/:org/ssh-keys", create, 0, 0},
    {HTTP_M_GET, "/api/v2/ssh-keys/:id", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/ssh-keys/:id", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/ssh-keys/:id", destroy, 0, 0},
    {HTTP_M_PATCH, "/api/v2/workspaces/:id/relationships/ssh-key", assign, 0, 0},
    {0, 0, 0, 0, 0},
};
