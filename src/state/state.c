/* state.c — state version rules: lock, serial and lineage checks, outputs. */
#include "state/state_int.h"
#include "base/codec.h"
#include "base/log.h"
#include "blob/blob.h"
#include "keyring/keyring.h"
#include "workspaces/workspace.h"

#include <stdlib.h>

const char *state_blob_key(struct ctx *c, const char *sv_id, bool json)
{
    return arena_printf(c->a, "state-versions/%s/%s", sv_id, json ? "json" : "state");
}

int state_on_workspace_delete(struct ctx *c, const char *workspace_id)
{
    const char **ids;
    size_t n;
    int rc = state_db_ids_of_workspace(c, workspace_id, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        rc = blob_delete(c->app->blobs, state_blob_key(c, ids[i], false));
        if (!rc) rc = blob_delete(c->app->blobs, state_blob_key(c, ids[i], true));
    }
    return rc;
}

int state_save_outputs(struct ctx *c, const char *sv_id, json_t *outputs)
{
    if (!json_is_object(outputs))
        return ctx_fail(c, ERR_INVALID, "state outputs must be a JSON object");
    const char *name;
    json_t *o;
    int64_t pos = 0;
    json_object_foreach(outputs, name, o)
    {
        json_t *value = json_object_get(o, "value");
        if (!json_is_object(o) || !value)
            return ctx_fail(c, ERR_INVALID, "output \"%s\" has no value", name);
        json_t *type = json_object_get(o, "type");
        char *type_text = type ? json_dumps(type, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
        char *value_text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *id = codec_new_id(c->a, "wsout");
        struct state_output out = {
            .id = id,
            .name = name,
            .sensitive = json_is_true(json_object_get(o, "sensitive")),
            .type_json = arena_strdup(c->a, type_text ? type_text : "null"),
            .sealed_value = keyring_seal_at(c->app->keyring, c->a, STATE_OUTPUT_AT(id), value_text,
                                            strlen(value_text)),
        };
        free(type_text);
        free(value_text);
        int rc = state_db_insert_output(c, sv_id, pos++, &out);
        if (rc) return rc;
    }
    return 0;
}

struct blob_json_reader {
    struct blob_reader *r;
    int err;
};

static size_t read_blob_cb(void *buf, size_t len, void *arg)
{
    struct blob_json_reader *j = arg;
    size_t n = 0;
    j->err = blob_reader_read(j->r, buf, len, &n);
    return j->err ? (size_t)-1 : n;
}

int state_outputs_from_blob(struct ctx *c, const struct state_version *sv)
{
    /* outputs come from json-state-outputs when the client sends them (terraform >= 1.3); older
     * clients' states are read back here, up to a cap that keeps this bounded in memory */
    enum { MAX_PARSE = 16 * 1024 * 1024 };
    if (sv->state_size > MAX_PARSE) {
        log_warn("state %s: %lld bytes, outputs not extracted (over %d)", sv->id,
                 (long long)sv->state_size, MAX_PARSE);
        return 0;
    }
    struct blob_json_reader j = {0};
    int rc = blob_reader_open(c->app->blobs, state_blob_key(c, sv->id, false), &j.r);
    if (rc) return rc;
    json_error_t je;
    json_t *doc = json_load_callback(read_blob_cb, &j, 0, &je);
    blob_reader_close(j.r);
    if (!doc) return j.err ? j.err : 0; /* not JSON: stored as is, without outputs */
    json_t *outputs = json_object_get(doc, "outputs");
    rc = outputs ? state_save_outputs(c, sv->id, outputs) : 0;
    json_decref(doc);
    return rc;
}
