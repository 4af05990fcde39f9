/* jsonapi.c — document builders and the request-document checker. */
#include "jsonapi/jsonapi.h"
#include "base/arena.h"
#include "base/err.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void respond_as(struct http_request *r, int status, const char *type, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) {
        http_respond(r, 500, type, "{}", 2);
        return;
    }
    http_respond(r, status, type, text, strlen(text));
    free(text);
}

void jsonapi_respond(struct http_request *r, int status, json_t *doc)
{
    respond_as(r, status, JSONAPI_CONTENT_TYPE, doc);
}

void json_respond(struct http_request *r, int status, json_t *doc)
{
    respond_as(r, status, "application/json", doc);
}

void jsonapi_error(struct http_request *r, int err, const char *detail, const char *pointer)
{
    char status[8];
    snprintf(status, sizeof status, "%d", err_http_status(err));
    json_t *e = json_pack("{s:s, s:s}", "status", status, "title", err_title(err));
    if (detail) json_object_set_new(e, "detail", json_string(detail));
    if (pointer) json_object_set_new(e, "source", json_pack("{s:s}", "pointer", pointer));
    jsonapi_respond(r, err_http_status(err), json_pack("{s:[o]}", "errors", e));
}

json_t *jsonapi_resource_new(const char *type, const char *id, json_t *attrs, json_t *rels,
                             const char *self)
{
    json_t *o = json_pack("{s:s, s:o}", "type", type, "attributes", attrs);
    if (id) json_object_set_new(o, "id", json_string(id)); /* tag bindings have none */
    if (rels) json_object_set_new(o, "relationships", rels);
    if (self) json_object_set_new(o, "links", json_pack("{s:s}", "self", self));
    return o;
}

json_t *jsonapi_rel_new(const char *type, const char *id)
{
    if (!id) return json_pack("{s:n}", "data");
    return json_pack("{s:{s:s, s:s}}", "data", "id", id, "type", type);
}

json_t *jsonapi_doc_new(json_t *data)
{
    return json_pack("{s:o}", "data", data);
}

static void decref_cb(void *p)
{
    json_decref(p);
}

static int bad(struct jsonapi_body *b, int err, const char *pointer, const char *detail)
{
    snprintf(b->detail, sizeof b->detail, "%s", detail);
    b->pointer = pointer;
    return err;
}

int jsonapi_parse(struct http_request *r, const char *want_type, bool allow_empty,
                  struct jsonapi_body *out)
{
    size_t len;
    const char *text = http_req_body(r, &len);
    return jsonapi_parse_text(http_req_arena(r), text, len, want_type, allow_empty, out);
}

int jsonapi_parse_text(struct arena *a, const char *text, size_t len, const char *want_type,
                       bool allow_empty, struct jsonapi_body *out)
{
    memset(out, 0, sizeof *out);
    if (len == 0 && allow_empty) {
        out->doc = json_object();
        arena_on_free(a, decref_cb, out->doc);
        out->attrs = out->doc;
        return 0;
    }
    json_error_t je;
    out->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!out->doc) {
        char d[256];
        snprintf(d, sizeof d, "malformed JSON at line %d column %d: %s", je.line, je.column,
                 je.text);
        return bad(out, ERR_BAD_REQUEST, 0, d);
    }
    arena_on_free(a, decref_cb, out->doc);
    out->data = json_is_object(out->doc) ? json_object_get(out->doc, "data") : 0;
    if (!json_is_object(out->data)) {
        if (allow_empty && json_is_object(out->doc) && json_object_size(out->doc) == 0) {
            out->attrs = out->doc;
            return 0;
        }
        return bad(out, ERR_BAD_REQUEST, "/data", "the document must have a \"data\" object");
    }
    json_t *type = json_object_get(out->data, "type");
    if (type && !json_is_string(type))
        return bad(out, ERR_INVALID, "/data/type", "type must be a string");
    if (want_type && type && *json_string_value(type) &&
        strcmp(json_string_value(type), want_type) != 0) {
        char d[128];
        snprintf(d, sizeof d, "expected type \"%s\"", want_type);
        return bad(out, ERR_INVALID, "/data/type", d);
    }
    out->attrs = json_object_get(out->data, "attributes");
    if (out->attrs && !json_is_object(out->attrs))
        return bad(out, ERR_INVALID, "/data/attributes", "attributes must be an object");
    if (!out->attrs) {
        out->attrs = json_object();
        json_object_set_new(out->data, "attributes", out->attrs);
    }
    /* clients send null for every optional attribute left unset: null means absent */
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(out->attrs, tmp, key, value) if (json_is_null(value))
        json_object_del(out->attrs, key);
    out->rels = json_object_get(out->data, "relationships");
    if (out->rels && !json_is_object(out->rels))
        return bad(out, ERR_INVALID, "/data/relationships", "relationships must be an object");
    return 0;
}

static int wrong_type(struct jsonapi_body *b, const char *name, const char *want)
{
    snprintf(b->pointer_buf, sizeof b->pointer_buf, "/data/attributes/%s", name);
    char d[200];
    snprintf(d, sizeof d, "%s must be %s", name, want);
    return bad(b, ERR_INVALID, b->pointer_buf, d);
}

int jsonapi_attr_string(struct jsonapi_body *b, const char *name, const char **out, bool *present)
{
    json_t *v = json_object_get(b->attrs, name);
    if (present) *present = v != 0;
    if (!v || json_is_null(v)) {
        if (present) *present = false;
        return 0;
    }
    if (!json_is_string(v)) return wrong_type(b, name, "a string");
    *out = json_string_value(v);
    return 0;
}

int jsonapi_attr_bool(struct jsonapi_body *b, const char *name, bool *out, bool *present)
{
    json_t *v = json_object_get(b->attrs, name);
    if (present) *present = v != 0;
    if (!v) return 0;
    if (!json_is_boolean(v)) return wrong_type(b, name, "a boolean");
    *out = json_is_true(v);
    return 0;
}

int jsonapi_attr_int(struct jsonapi_body *b, const char *name, int64_t *out, bool *present)
{
    json_t *v = json_object_get(b->attrs, name);
    if (present) *present = v != 0;
    if (!v) return 0;
    if (!json_is_integer(v)) return wrong_type(b, name, "an integer");
    *out = (int64_t)json_integer_value(v);
    return 0;
}

const char *jsonapi_rel_id(struct jsonapi_body *b, const char *name)
{
    if (!b->rels) return 0;
    json_t *d = json_object_get(json_object_get(b->rels, name), "data");
    json_t *id = json_is_object(d) ? json_object_get(d, "id") : 0;
    return json_is_string(id) ? json_string_value(id) : 0;
}
