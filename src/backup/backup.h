/* backup.h — everything a deployment holds (every table's rows, every blob as stored, the data
 * key) in one tar archive sealed with a password given at backup time, and the way back into an
 * empty deployment of either mode: the rows are written portably (JSON text per row), so an
 * embedded node's backup restores into PostgreSQL and the other way round; blobs keep their
 * sealing, since the data key goes with them and is wrapped again by the target's
 * enc_password. */
#ifndef STRATA_BACKUP_H
#define STRATA_BACKUP_H

#include <stddef.h>
#include <stdint.h>

struct app;

struct backup_counts {
    int64_t tables, rows, blobs, blob_bytes;
};

/* Writes the archive to path (a new file). On failure the file is removed and err says why. */
int backup_write(struct app *app, const char *path, const char *password,
                 struct backup_counts *counts, char *err, size_t errlen);

/* Restores the archive at path into app's services, which must hold no data yet (a database
 * just migrated, whose keyring is replaced by the archive's data key wrapped by enc_password).
 * The archive's schema must be this binary's. */
int backup_restore(struct app *app, const char *enc_password, const char *path,
                   const char *password, struct backup_counts *counts, char *err, size_t errlen);

#endif
