/* workspace_int.h — private to workspaces/. */
#ifndef STRATA_WORKSPACE_INT_H
#define STRATA_WORKSPACE_INT_H

#include "app/api.h"
#include "app/audit.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"
#include "workspaces/workspace.h"

#include <string.h>

struct workspace_filter {
    const char *search_name; /* substring of the name */
    const char **tags;       /* all must be present */
    size_t ntags;
    const struct rights *caller; /* the caller's rights in the organization: what it may see */
};

/* Reads a row by id, or by organization and name, through the node's cache
 * (workspace_cache.c); no authorization. */
int workspace_read(struct ctx *c, const char *id, struct workspace *out);
int workspace_read_by_name(struct ctx *c, const char *org, const char *name, struct workspace *out);
/* Every node forgets the row of id (NULL: every row) once the caller's transaction commits;
 * workspace_db.c calls it with every write. */
void workspace_forget(struct ctx *c, const char *id);

int workspace_db_get(struct ctx *c, const char *where, const struct store_arg *args, size_t nargs,
                     struct workspace *out);
int workspace_db_insert(struct ctx *c, const struct workspace *w);
int workspace_db_update(struct ctx *c, const struct workspace *w);
int workspace_db_set_tags(struct ctx *c, const char *id, const char **tags, size_t n);
int workspace_db_delete(struct ctx *c, const char *id);
int workspace_db_ids_of_org(struct ctx *c, const char *org, const char ***ids, size_t *n);
int workspace_db_list(struct ctx *c, const char *org, const struct workspace_filter *f,
                      const struct page *p, struct workspace **out, size_t *n, int64_t *total);
/* Sets the lock when unlocked; *changed tells whether it was taken. */
int workspace_db_lock(struct ctx *c, const char *id, const char *kind, const char *holder,
                      const char *reason, bool *changed);
/* Clears the lock when held by kind/holder (or any holder when kind is NULL). */
int workspace_db_unlock(struct ctx *c, const char *id, const char *kind, const char *holder,
                        bool *changed);

/* Sets w->perms to the caller's rights on w (a listed workspace). */
int workspace_perms(struct ctx *c, struct workspace *w);
int workspace_create(struct ctx *c, struct workspace *w);
int workspace_update(struct ctx *c, struct workspace *w, bool tags_given);
int workspace_delete(struct ctx *c, const struct workspace *w);
int workspace_lock(struct ctx *c, struct workspace *w, const char *reason);
int workspace_unlock(struct ctx *c, struct workspace *w, bool force);

#endif
