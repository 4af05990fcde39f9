/* redact.c — a plan as TFE's json-output-redacted: what the CLI's renderer reads
 * (internal/command/jsonformat.Plan: format versions, resource changes and drift, relevant
 * attributes, output changes, provider schemas) taken from `terraform show -json` and
 * `terraform providers schema -json`, with every value marked sensitive replaced by an HMAC of
 * it under a key used for this plan alone (equal values stay equal, so the renderer still sees
 * what changed, and nothing can be guessed back). Variables, prior state, planned values and
 * configuration, which hold values in the clear, are left out. */
#include "runner/runner_int.h"
#include "base/err.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *hide(json_t *value, const unsigned char *key)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)(text ? text : ""), text ? strlen(text) : 0,
                           key);
    free(text);
    char hex[sizeof mac * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    return json_string(hex);
}

/* value with the parts that marker (true, or an object/array of markers) calls sensitive
 * hidden; a new reference. */
static json_t *redact_value(json_t *value, json_t *marker, const unsigned char *key)
{
    if (!value || json_is_null(value)) return json_null();
    if (json_is_true(marker)) return hide(value, key);
    if (json_is_object(marker) && json_is_object(value)) {
        json_t *out = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(value, k, v)
            json_object_set_new(out, k, redact_value(v, json_object_get(marker, k), key));
        return out;
    }
    if (json_is_array(marker) && json_is_array(value)) {
        json_t *out = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(value, i, v)
            json_array_append_new(out, redact_value(v, json_array_get(marker, i), key));
        return out;
    }
    return json_incref(value);
}

/* A change object ({"before", "after", "before_sensitive", "after_sensitive", ...}) in place. */
static void redact_change(json_t *change, const unsigned char *key)
{
    if (!json_is_object(change)) return;
    static const char *sides[][2] = {{"before", "before_sensitive"}, {"after", "after_sensitive"}};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(change, sides[i][0]);
        if (v)
            json_object_set_new(change, sides[i][0],
                                redact_value(v, json_object_get(change, sides[i][1]), key));
    }
}

static json_t *resource_changes(json_t *plan, const char *name, const unsigned char *key)
{
    json_t *list = json_deep_copy(json_object_get(plan, name));
    if (!json_is_array(list)) {
        json_decref(list);
        return json_array();
    }
    size_t i;
    json_t *rc;
    json_array_foreach(list, i, rc) redact_change(json_object_get(rc, "change"), key);
    return list;
}

int redact_plan(int plan_fd, int schemas_fd, int out_fd)
{
    json_error_t je;
    json_t *plan = json_loadfd(plan_fd, 0, &je);
    json_t *schemas = json_loadfd(schemas_fd, 0, &je);
    int rc = ERR_INVALID;
    if (json_is_object(plan) && json_is_object(schemas)) {
        unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
        randombytes_buf(key, sizeof key);
        json_t *outputs = json_deep_copy(json_object_get(plan, "output_changes"));
        if (!json_is_object(outputs)) {
            json_decref(outputs);
            outputs = json_object();
        }
        const char *name;
        json_t *change;
        json_object_foreach(outputs, name, change) redact_change(change, key);
        json_t *doc = json_object(), *v;
        if ((v = json_object_get(plan, "format_version")))
            json_object_set(doc, "plan_format_version", v);
        json_object_set_new(doc, "resource_drift", resource_changes(plan, "resource_drift", key));
        json_object_set_new(doc, "resource_changes",
                            resource_changes(plan, "resource_changes", key));
        v = json_object_get(plan, "relevant_attributes");
        json_object_set_new(doc, "relevant_attributes", v ? json_incref(v) : json_array());
        json_object_set_new(doc, "output_changes", outputs);
        if ((v = json_object_get(schemas, "format_version")))
            json_object_set(doc, "provider_format_version", v);
        if ((v = json_object_get(schemas, "provider_schemas")))
            json_object_set(doc, "provider_schemas", v);
        sodium_memzero(key, sizeof key);
        rc = json_dumpfd(doc, out_fd, JSON_COMPACT) == 0 ? 0 : ERR_IO;
        json_decref(doc);
    }
    json_decref(plan);
    json_decref(schemas);
    return rc;
}
