/* state_int.h — private to state/. */
#ifndef STRATA_STATE_INT_H
#define STRATA_STATE_INT_H

#include "app/api.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/err.h"
#include "state/state.h"
#include "store/store.h"

#include <jansson.h>
#include <string.h>

/* where an output's value is sealed (keyring.h) */
#define STATE_OUTPUT_AT(id) KEYRING_AT("state_version_outputs", "sealed_value", (id))

struct state_output {
    const char *id, *name, *type_json, *sealed_value;
    bool sensitive;
};

int state_db_get(struct ctx *c, const char *id, struct state_version *out);
int state_db_insert(struct ctx *c, const struct state_version *sv);
/* Marks the raw state uploaded: finalized with its size. */
int state_db_finalize(struct ctx *c, const char *id, int64_t size);
/* Takes a version's JSON upload link: json_size goes from -1 (never uploaded) to -2 (an upload
 * in progress); ERR_CONFLICT when it is taken or used, so each link stores one upload. An
 * upload that ends without storing gives it back with state_db_release_json. */
int state_db_claim_json(struct ctx *c, const char *id);
int state_db_release_json(struct ctx *c, const char *id);
int state_db_set_json_size(struct ctx *c, const char *id, int64_t size);
int state_db_list(struct ctx *c, const char *workspace_id, const struct page *p,
                  struct state_version **out, size_t *n, int64_t *total);
int state_db_ids_of_workspace(struct ctx *c, const char *workspace_id, const char ***ids,
                              size_t *n);
int state_db_insert_output(struct ctx *c, const char *sv_id, int64_t position,
                           const struct state_output *o);
int state_db_has_outputs(struct ctx *c, const char *sv_id, bool *has);
int state_db_outputs(struct ctx *c, const char *sv_id, struct state_output **out, size_t *n);
int state_db_output(struct ctx *c, const char *id, struct state_output *out, const char **sv_id);

/* Stores the outputs of an "outputs" object ({"name":{"value","type","sensitive"}}), sealing
 * each value. ERR_INVALID when it is not of that shape. */
int state_save_outputs(struct ctx *c, const char *sv_id, json_t *outputs);
/* Reads the outputs of a stored raw state (up to a size cap) when none were sent. */
int state_outputs_from_blob(struct ctx *c, const struct state_version *sv);

/* Blob keys of a version's raw and JSON state, in the arena. */
const char *state_blob_key(struct ctx *c, const char *sv_id, bool json);

/* Signed URL to upload or download a version's raw or JSON state. */
const char *state_url(struct ctx *c, const char *sv_id, bool json, bool upload);
/* Streams a version's raw or JSON state as the response (or answers 404). */
void state_send_blob(struct ctx *c, const struct state_version *sv, bool json);

#endif
