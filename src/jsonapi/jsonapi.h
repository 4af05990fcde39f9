/* jsonapi.h — JSON:API documents in TFE's shapes: resources, relationships, errors, and checked
 * reading of request documents. Built on jansson; json_t ownership follows jansson's "steal"
 * convention where a name ends in _new or the comment says "steals". */
#ifndef STRATA_JSONAPI_H
#define STRATA_JSONAPI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;
struct http_request;

#define JSONAPI_CONTENT_TYPE "application/vnd.api+json"

/* Sends doc (steals it) with the JSON:API content type. */
void jsonapi_respond(struct http_request *r, int status, json_t *doc);
/* The same as plain JSON (application/json): health, sign-in, the registry protocols. */
void json_respond(struct http_request *r, int status, json_t *doc);
/* Sends {"errors":[{"status","title","detail","source":{"pointer"}}]}; detail and pointer may
 * be NULL. The title comes from the error table. */
void jsonapi_error(struct http_request *r, int err, const char *detail, const char *pointer);

/* {"id","type","attributes","relationships","links":{"self"}}; steals attrs and rels (rels and
 * self may be NULL). */
json_t *jsonapi_resource_new(const char *type, const char *id, json_t *attrs, json_t *rels,
                             const char *self);
/* {"data":{"id","type"}} or {"data":null} when id is NULL. */
json_t *jsonapi_rel_new(const char *type, const char *id);
/* {"data": data} — steals data. */
json_t *jsonapi_doc_new(json_t *data);

/* A parsed request document: data and its attributes (borrowed from doc). */
struct jsonapi_body {
    json_t *doc;   /* owned; freed with the request arena by jsonapi_parse */
    json_t *data;  /* the "data" object */
    json_t *attrs; /* "data.attributes" (an empty object when absent) */
    json_t *rels;  /* "data.relationships" or NULL */
    char detail[256];
    const char *pointer;
    char pointer_buf[160];
};

/* Parses the request body as a JSON:API document whose data is an object (attributes that are
 * null are removed: null means absent, as clients send it); when want_type is
 * non-NULL and data.type is present and non-empty, it must match. An empty body is allowed when
 * allow_empty (attrs then empty). Returns 0 or ERR_BAD_REQUEST/ERR_INVALID with detail and
 * pointer filled in. */
int jsonapi_parse(struct http_request *r, const char *want_type, bool allow_empty,
                  struct jsonapi_body *out);
/* The same on text (len bytes, not NUL-terminated) whose document the arena a frees: what
 * jsonapi_parse does with a request's body, and what fuzz/fuzz_jsonapi.c drives. */
int jsonapi_parse_text(struct arena *a, const char *text, size_t len, const char *want_type,
                       bool allow_empty, struct jsonapi_body *out);

/* Typed attribute readers: 0 when absent (out untouched, *present false), ERR_INVALID naming
 * the attribute when present with the wrong type. */
int jsonapi_attr_string(struct jsonapi_body *b, const char *name, const char **out, bool *present);
int jsonapi_attr_bool(struct jsonapi_body *b, const char *name, bool *out, bool *present);
int jsonapi_attr_int(struct jsonapi_body *b, const char *name, int64_t *out, bool *present);
/* Relationship id: data.relationships.<name>.data.id. */
const char *jsonapi_rel_id(struct jsonapi_body *b, const char *name);

#endif
