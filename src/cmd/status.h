/* status.h — where a node is in its life (starting, started, stopping, stopped), kept in a file
 * beside its data so that `strata app status` answers like `replicatedctl app status` even when
 * the node is down or never came up. */
#ifndef STRATA_STATUS_H
#define STRATA_STATUS_H

struct settings;

/* Records state and the state the node is heading for, with error ("" when none). Written
 * atomically (a new file renamed over the old one); failures are logged, never fatal. */
void status_write(const struct settings *s, const char *state, const char *desired,
                  const char *error);

#endif
