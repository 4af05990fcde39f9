/* services.h — opens what a node stands on from its settings: the database, the keyring, the
 * blob store and the bus, embedded or external, so that server.c never knows which. */
#ifndef STRATA_SERVICES_H
#define STRATA_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

struct settings;
struct app;

/* Fills app->store, app->keyring, app->blobs and app->bus. The database is opened only with the
 * right enc_password, and only then migrated. On failure returns an ERR_* with a message for
 * the operator in err; what was opened is closed again by services_close. */
int services_open(const struct settings *s, struct app *app, char *err, size_t errlen);
/* The data alone: the database (migrated when migrate is true; otherwise it must exist), the
 * keyring and the blob store, for the admin CLI's backup and restore. Closed by services_close. */
int services_open_data(const struct settings *s, struct app *app, bool migrate, char *err,
                       size_t errlen);
void services_close(struct app *app);
/* The database alone, as it is (never migrated), for the admin CLI; the caller closes *store. */
struct store;
int services_open_database(const struct settings *s, struct store **store, char *err,
                           size_t errlen);

#endif
