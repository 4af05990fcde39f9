/* err.c — lookups over the ERR_TABLE X-macro. */
#include "base/err.h"

struct err_row {
    int code;
    int status;
    const char *title;
    const char *name;
};

static const struct err_row rows[] = {
#define ERR_ROW(name, status, title) {name, status, title, #name},
    ERR_TABLE(ERR_ROW)
#undef ERR_ROW
};

static const struct err_row *find(int err)
{
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == err) return &rows[i];
    return 0;
}

int err_http_status(int err)
{
    const struct err_row *r = find(err);
    return r ? r->status : 500;
}

const char *err_title(int err)
{
    const struct err_row *r = find(err);
    return r ? r->title : "internal server error";
}

const char *err_name(int err)
{
    const struct err_row *r = find(err);
    return r ? r->name : "ERR_UNKNOWN";
}
