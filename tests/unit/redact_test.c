/* redact_test.c — the redacted JSON plan: sensitive values (whole or nested) hidden behind an
 * HMAC that keeps equal values equal, the parts with values in the clear left out. */
#include "base/err.h"
#include "runner/runner_int.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/strata-redact-XXXXXX";
static char plan[256], schemas[256], out[256];

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    cr_assert(mkdtemp(dir));
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(schemas, sizeof schemas, "%s/schemas.json", dir);
    snprintf(out, sizeof out, "%s/out.json", dir);
}

static void teardown(void)
{
    unlink(plan);
    unlink(schemas);
    unlink(out);
    rmdir(dir);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

TestSuite(redact, .init = setup, .fini = teardown);

/* redact_plan on the files at plan and schemas, written to out */
static int redact_files(void)
{
    int p = open(plan, O_RDONLY), s = open(schemas, O_RDONLY),
        o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(p >= 0 && s >= 0 && o >= 0);
    int rc = redact_plan(p, s, o);
    close(p);
    close(s);
    close(o);
    return rc;
}

Test(redact, hides_sensitive_values_and_keeps_the_renderers_parts)
{
    write_file(plan,
               "{\"format_version\":\"1.2\",\"variables\":{\"pw\":{\"value\":\"hunter2hunter2\"}},"
               "\"prior_state\":{\"x\":1},\"planned_values\":{},\"configuration\":{},"
               "\"resource_changes\":[{\"address\":\"a.b\",\"change\":{\"actions\":[\"update\"],"
               "\"before\":{\"user\":\"u\",\"pw\":\"old-secret\",\"tags\":[\"t\",\"same\"]},"
               "\"after\":{\"user\":\"u\",\"pw\":\"new-secret\",\"tags\":[\"t\",\"same\"]},"
               "\"before_sensitive\":{\"pw\":true,\"tags\":[false,true]},"
               "\"after_sensitive\":{\"pw\":true,\"tags\":[false,true]}}}],"
               "\"output_changes\":{\"s\":{\"actions\":[\"create\"],\"before\":null,"
               "\"after\":\"out-secret\",\"before_sensitive\":false,\"after_sensitive\":true}},"
               "\"relevant_attributes\":[]}");
    write_file(schemas, "{\"format_version\":\"1.0\",\"provider_schemas\":{\"p\":{}}}");
    cr_assert_eq(redact_files(), 0);
    json_t *doc = json_load_file(out, 0, 0);
    cr_assert(doc);
    char *text = json_dumps(doc, 0);
    cr_assert_null(strstr(text, "secret"));
    cr_assert_null(strstr(text, "hunter2"));
    free(text);
    for (const char *gone = "variables\0prior_state\0planned_values\0configuration\0"; *gone;
         gone += strlen(gone) + 1)
        cr_assert_null(json_object_get(doc, gone), "%s", gone);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "plan_format_version")), "1.2");
    cr_assert_str_eq(json_string_value(json_object_get(doc, "provider_format_version")), "1.0");
    cr_assert(json_object_get(json_object_get(doc, "provider_schemas"), "p"));
    json_t *change =
        json_object_get(json_array_get(json_object_get(doc, "resource_changes"), 0), "change");
    json_t *before = json_object_get(change, "before"), *after = json_object_get(change, "after");
    /* the renderer still sees what changed and what did not */
    cr_assert_str_eq(json_string_value(json_object_get(after, "user")), "u");
    cr_assert_str_neq(json_string_value(json_object_get(before, "pw")),
                      json_string_value(json_object_get(after, "pw")));
    cr_assert_eq(strlen(json_string_value(json_object_get(after, "pw"))), 64);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(after, "tags"), 0)), "t");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(before, "tags"), 1)),
                     json_string_value(json_array_get(json_object_get(after, "tags"), 1)));
    json_t *s = json_object_get(json_object_get(doc, "output_changes"), "s");
    cr_assert(json_is_null(json_object_get(s, "before")));
    cr_assert_eq(strlen(json_string_value(json_object_get(s, "after"))), 64);
    json_decref(doc);
}

Test(redact, refuses_what_is_not_a_plan)
{
    write_file(plan, "not json");
    write_file(schemas, "{}");
    cr_assert_eq(redact_files(), ERR_INVALID);
}
