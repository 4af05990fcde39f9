/* sealed_file.h — a file sealed with a password: Argon2id turns the password into a key, and the
 * bytes go through libsodium's secretstream in 64 KiB chunks, the last one marked final, so a
 * wrong password, an altered byte or a cut-short file is an error, never data. */
#ifndef STRATA_SEALED_FILE_H
#define STRATA_SEALED_FILE_H

#include <stddef.h>

struct sealed_out;
struct sealed_in;

/* Creates path (mode 0600; an existing file is refused). The caller ends with exactly one of
 * sealed_out_close (0: the file is complete and synced) or sealed_out_abort (removed). */
int sealed_out_open(const char *path, const char *password, struct sealed_out **out);
int sealed_out_write(struct sealed_out *o, const void *p, size_t n);
int sealed_out_close(struct sealed_out *o);
void sealed_out_abort(struct sealed_out *o);

/* ERR_FORBIDDEN when the password is not the file's, ERR_CRYPTO when it is not such a file. */
int sealed_in_open(const char *path, const char *password, struct sealed_in **out);
/* The next bytes: *n == 0 at the verified end; ERR_CRYPTO when altered or cut short. *p points
 * into the reader's buffer, valid until the next call. */
int sealed_in_next(struct sealed_in *in, const void **p, size_t *n);
void sealed_in_close(struct sealed_in *in);

#endif
